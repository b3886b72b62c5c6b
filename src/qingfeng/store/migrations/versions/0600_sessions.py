"""Sessions held in the store, sign-in throttling, keyed audit rows.

- `web_sessions`: one row per signed-in browser; the cookie carries only a random token whose
  SHA-256 is the key here, so deleting rows ends sessions at once (logout, password change,
  lock, disable).
- `sign_in_throttle`: failed sign-ins counted per account, per client address and per pair,
  with the back-off each has earned.
- `audit_log.mac`: HMAC-SHA256 of the row hash under a key kept outside the store
  (settings `audit_key`). Added with ADD COLUMN so SQLite keeps the append-only triggers.

Revision ID: 0600_sessions
Revises: 0530_outcome_index
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0600_sessions"
down_revision = "0530_outcome_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_last_seen_at", "web_sessions", ["last_seen_at"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True)),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("audit_log", sa.Column("mac", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("mac")
    op.drop_table("sign_in_throttle")
    op.drop_index("ix_web_sessions_last_seen_at", "web_sessions")
    op.drop_index("ix_web_sessions_user_id", "web_sessions")
    op.drop_table("web_sessions")
