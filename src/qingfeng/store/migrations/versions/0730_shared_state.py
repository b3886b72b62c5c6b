"""State shared by every web worker: named JSON documents (model-run progress, dashboard
generation), graph node tokens and the portal's rate-limit buckets.

Revision ID: 0730_shared_state
Revises: 0720_run_profile
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0730_shared_state"
down_revision = "0720_run_profile"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "graph_refs",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("identifier", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_graph_refs_created_at", "graph_refs", ["created_at"])
    op.create_table(
        "rate_buckets",
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("touched_at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_buckets_touched_at", "rate_buckets", ["touched_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_buckets_touched_at", "rate_buckets")
    op.drop_table("rate_buckets")
    op.drop_index("ix_graph_refs_created_at", "graph_refs")
    op.drop_table("graph_refs")
    op.drop_table("shared_state")
