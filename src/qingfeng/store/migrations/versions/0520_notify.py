"""Reminders that reach people: users' e-mail addresses, notifications in the app, and the
reminder log that keeps the daily job from reminding or escalating twice.

Revision ID: 0520_notify
Revises: 0400_password_change
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0520_notify"
down_revision = "0510_queues"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
    # the 督办 ranking: each unit's open work counted from the index alone
    op.create_index(
        "ix_warnings_org_open",
        "warnings",
        ["org_id", "status", "paused", "due_at", "escalation_level"],
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id")),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("email_status", sa.String(20)),
        sa.Column("emailed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at", "id"])
    op.create_index("ix_notifications_warning_id", "notifications", ["warning_id"])
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "warning_id", "stage", "due_at", "kind", "step", name="uq_reminder_log_once"
        ),
    )


def downgrade() -> None:
    op.drop_table("reminder_log")
    op.drop_index("ix_notifications_warning_id", "notifications")
    op.drop_index("ix_notifications_user_read", "notifications")
    op.drop_table("notifications")
    op.drop_index("ix_warnings_org_open", "warnings")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
