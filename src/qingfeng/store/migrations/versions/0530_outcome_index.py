"""A model's outcomes from its index alone: `ix_warnings_model_status` becomes
`ix_warnings_model_status_finding` (model_id, status, finding), so the precision a recorded
finding moves (qingfeng.loop.risk.model_precisions) is counted without reading the rows, and
filters on model and state are served as before.

Revision ID: 0530_outcome_index
Revises: 0520_notify
Create Date: 2026-12-07

"""

from alembic import op

revision = "0530_outcome_index"
down_revision = "0520_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_warnings_model_status_finding", "warnings", ["model_id", "status", "finding"]
    )
    op.drop_index("ix_warnings_model_status", "warnings")


def downgrade() -> None:
    op.create_index("ix_warnings_model_status", "warnings", ["model_id", "status"])
    op.drop_index("ix_warnings_model_status_finding", "warnings")
