"""Pre-payment screening (阻断): paying systems' API keys, screening requests (idempotent by
request id) and each candidate's decision, held or released.

Revision ID: 0700_screening
Revises: 0600_sessions
Create Date: 2026-12-07

"""

import sqlalchemy as sa
from alembic import op

revision = "0700_screening"
down_revision = "0600_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screen_api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("datasets", sa.JSON, nullable=False),
        sa.Column("areas", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.String(64)),
        sa.Column("replaced_by_id", sa.Integer, sa.ForeignKey("screen_api_keys.id")),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "screen_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_id", sa.Integer, sa.ForeignKey("screen_api_keys.id"), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("dataset", sa.String(60), nullable=False),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("candidates", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("snapshot_id", sa.String(32), nullable=False),
        sa.Column("snapshot_published_at", sa.String(32)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.UniqueConstraint("key_id", "request_id", name="uq_screen_request_once"),
    )
    op.create_index("ix_screen_requests_key_id", "screen_requests", ["key_id"])
    op.create_index("ix_screen_requests_request_id", "screen_requests", ["request_id"])
    op.create_table(
        "screen_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_pk", sa.Integer, sa.ForeignKey("screen_requests.id"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("ref", sa.String(200)),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2)),
        sa.Column("division_code", sa.String(12)),
        sa.Column("models", sa.JSON, nullable=False),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id")),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("released_by", sa.String(64)),
        sa.Column("release_reason", sa.Text),
        sa.UniqueConstraint("request_pk", "idx", name="uq_screen_decision_index"),
    )
    op.create_index("ix_screen_decisions_request_pk", "screen_decisions", ["request_pk"])
    op.create_index("ix_screen_decisions_division_code", "screen_decisions", ["division_code"])
    op.create_index("ix_screen_decisions_warning_id", "screen_decisions", ["warning_id"])


def downgrade() -> None:
    op.drop_table("screen_decisions")
    op.drop_table("screen_requests")
    op.drop_table("screen_api_keys")
