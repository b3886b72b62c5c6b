"""Indexes that make a sorted, filtered page of a million warnings fast on both stores.

Each sort order of the list (qingfeng.loop.query.SORTS) walks one of these indexes in order and
stops after the page, instead of sorting every warning in scope. The nullable sort keys are
indexed as `(col IS NULL, col, id)`, which gives SQLite and PostgreSQL the same order for NULLs
(missing deadlines and amounts go last) and lets both walk the index in either direction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_warnings_created_id", "warnings", ["created_at", "id"])
    op.create_index("ix_warnings_status_created_id", "warnings", ["status", "created_at", "id"])
    op.create_index(
        "ix_warnings_due_sort",
        "warnings",
        [sa.text("(due_at IS NULL)"), "due_at", "id"],
    )
    op.create_index(
        "ix_warnings_amount_sort",
        "warnings",
        [sa.text("(amount IS NULL)"), sa.text("amount DESC"), sa.text("id DESC")],
    )
    # One model's warnings (the model page, outcomes): newest first or largest amount first.
    op.create_index("ix_warnings_model_created_id", "warnings", ["model_id", "created_at", "id"])
    op.create_index(
        "ix_warnings_model_amount_sort",
        "warnings",
        ["model_id", sa.text("(amount IS NULL)"), sa.text("amount DESC"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_warnings_model_amount_sort", "warnings")
    op.drop_index("ix_warnings_model_created_id", "warnings")
    op.drop_index("ix_warnings_amount_sort", "warnings")
    op.drop_index("ix_warnings_due_sort", "warnings")
    op.drop_index("ix_warnings_status_created_id", "warnings")
    op.drop_index("ix_warnings_created_id", "warnings")
