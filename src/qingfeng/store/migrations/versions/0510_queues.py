"""Queues and the risk score: `warnings.risk_score` / `risk_parts` (qingfeng.loop.risk) with the
indexes that serve the ranked list and each queue at a million warnings; the dispatcher's
deadline (`requested_due_at`) and the findings submitted for review (`submission`); the action an
attachment came with (`attachments.event_id`).

Revision ID: 0510_queues
Revises: 0400_password_change
Create Date: 2026-12-07

Scores start at 0: `qingfeng run` recomputes them after its sync, or `qingfeng warnings rescore`
at once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0510_queues"
down_revision = "0500_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): on SQLite a batch would copy the table and lose the
    # expression indexes of 0003, and a million rows would be rewritten.
    op.add_column(
        "warnings",
        sa.Column("risk_score", sa.Float, nullable=False, server_default=sa.text("0")),
    )
    op.add_column("warnings", sa.Column("risk_parts", sa.JSON))
    op.add_column("warnings", sa.Column("requested_due_at", sa.DateTime(timezone=True)))
    op.add_column("warnings", sa.Column("submission", sa.JSON))
    op.create_index(
        "ix_warnings_risk_sort", "warnings", [sa.text("risk_score DESC"), sa.text("id DESC")]
    )
    # A unit's queue (its own warnings in one state, by deadline, no deadline last).
    op.create_index(
        "ix_warnings_org_status_due_sort",
        "warnings",
        ["org_id", "status", sa.text("(due_at IS NULL)"), "due_at", "id"],
    )
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(
            sa.Column(
                "event_id",
                sa.Integer,
                sa.ForeignKey("warning_events.id", name="fk_attachments_event_id"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_constraint("fk_attachments_event_id", type_="foreignkey")
        batch.drop_column("event_id")
    op.drop_index("ix_warnings_org_status_due_sort", "warnings")
    op.drop_index("ix_warnings_risk_sort", "warnings")
    with op.batch_alter_table("warnings") as batch:
        batch.drop_column("submission")
        batch.drop_column("requested_due_at")
        batch.drop_column("risk_parts")
        batch.drop_column("risk_score")
