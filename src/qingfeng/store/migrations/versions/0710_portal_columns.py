"""Disclosures choose their columns: a version names the kind's columns it shows.

Revision ID: 0710_portal_columns
Revises: 0700_screening
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

revision = "0710_portal_columns"
down_revision = "0700_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portal_publication_versions") as batch:
        batch.add_column(sa.Column("shown_columns", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_publication_versions") as batch:
        batch.drop_column("shown_columns")
