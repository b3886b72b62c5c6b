"""Indexes the back office's warning list needs at a million rows beyond the sort-order indexes
of 0003: overdue work (open states with a past deadline) and search by name prefix (each walks
an index instead of scanning the table).

Revision ID: 0200_web_indexes
Revises: 0100_portal
Create Date: 2026-11-23
"""

from alembic import op

revision = "0200_web_indexes"
down_revision = "0100_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warnings_status_due_at", "warnings", ["status", "due_at"])
    op.create_index("ix_warnings_subject_name", "warnings", ["subject_name"])


def downgrade() -> None:
    op.drop_index("ix_warnings_subject_name", "warnings")
    op.drop_index("ix_warnings_status_due_at", "warnings")
