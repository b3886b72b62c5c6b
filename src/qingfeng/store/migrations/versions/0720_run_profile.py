"""The parameter profile and the parameter values each model run used (参数方案).

Revision ID: 0720_run_profile
Revises: 0710_portal_columns
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

revision = "0720_run_profile"
down_revision = "0710_portal_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_runs") as batch:
        batch.add_column(sa.Column("profile", sa.String(80)))
        batch.add_column(sa.Column("parameters", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("model_runs") as batch:
        batch.drop_column("parameters")
        batch.drop_column("profile")
