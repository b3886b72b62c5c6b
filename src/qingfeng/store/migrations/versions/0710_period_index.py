"""The warnings of one period of the irregularity, off an index: `ix_warnings_period` serves the
list's `period` filter (the big screen's trend by period drills into it) as a range instead of a
scan of every warning.

Revision ID: 0710_period_index
Revises: 0700_screening
Create Date: 2026-12-07

The lead relinks `down_revision` to the newest store migration when the branches merge.
"""

from alembic import op

revision = "0710_period_index"
down_revision = "0700_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warnings_period", "warnings", ["period"])


def downgrade() -> None:
    op.drop_index("ix_warnings_period", "warnings")
