"""The warnings of one period of the irregularity, off an index: `ix_warnings_period` serves the
list's `period` filter (the big screen's trend by period drills into it) as a range instead of a
scan of every warning.

Revision ID: 0740_period_index
Revises: 0730_shared_state
Create Date: 2026-12-07
"""

from alembic import op

revision = "0740_period_index"
down_revision = "0730_shared_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warnings_period", "warnings", ["period"])


def downgrade() -> None:
    op.drop_index("ix_warnings_period", "warnings")
