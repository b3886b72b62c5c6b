"""The closed loop: organisations, users, warning workflow columns, events, comments,
attachments, cases, saved filters and the hash-chained audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("division_code", sa.String(12), index=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organisations.id"), index=True),
        sa.Column("path", sa.String(400), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id"), index=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", TS),
        sa.Column("last_login_at", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(60), nullable=False, unique=True),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("opened_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("opened_at", TS, nullable=False),
    )
    with op.batch_alter_table("warnings") as batch:
        batch.add_column(sa.Column("org_id", sa.Integer))
        batch.add_column(sa.Column("assignee_id", sa.Integer))
        batch.add_column(sa.Column("dispatched_at", TS))
        batch.add_column(sa.Column("stage_started_at", TS))
        batch.add_column(sa.Column("due_at", TS))
        batch.add_column(sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("paused_at", TS))
        batch.add_column(sa.Column("pause_reason", sa.Text))
        batch.add_column(
            sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("return_reason", sa.Text))
        batch.add_column(sa.Column("finding", sa.String(20)))
        batch.add_column(sa.Column("finding_note", sa.Text))
        batch.add_column(sa.Column("measures", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("funds_recovered", sa.Numeric(18, 2)))
        batch.add_column(sa.Column("rectification_report", sa.Text))
        batch.add_column(sa.Column("follow_up_note", sa.Text))
        batch.add_column(sa.Column("merged_into_id", sa.Integer))
        batch.add_column(sa.Column("case_id", sa.Integer))
        batch.add_column(sa.Column("disposed_at", TS))
        batch.add_column(sa.Column("archived_at", TS))
        batch.create_foreign_key("fk_warnings_org", "organisations", ["org_id"], ["id"])
        batch.create_foreign_key("fk_warnings_assignee", "users", ["assignee_id"], ["id"])
        batch.create_foreign_key("fk_warnings_merged_into", "warnings", ["merged_into_id"], ["id"])
        batch.create_foreign_key("fk_warnings_case", "cases", ["case_id"], ["id"])
        batch.create_index("ix_warnings_org_id", ["org_id"])
        batch.create_index("ix_warnings_assignee_id", ["assignee_id"])
    op.create_table(
        "warning_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20)),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_warning_events_warning_at", "warning_events", ["warning_id", "at"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("at", TS, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_comments_warning_id", "comments", ["warning_id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("uploader_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("at", TS, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_index("ix_attachments_warning_id", "attachments", ["warning_id"])
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(80), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """The database itself refuses UPDATE and DELETE on audit_log."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION qingfeng_audit_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION qingfeng_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only ({verb} refused)'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS qingfeng_audit_append_only()")
    op.drop_table("audit_head")
    op.drop_table("audit_log")
    op.drop_table("saved_filters")
    op.drop_table("attachments")
    op.drop_table("comments")
    op.drop_table("warning_events")
    with op.batch_alter_table("warnings") as batch:
        batch.drop_index("ix_warnings_assignee_id")
        batch.drop_index("ix_warnings_org_id")
        batch.drop_constraint("fk_warnings_case", type_="foreignkey")
        batch.drop_constraint("fk_warnings_merged_into", type_="foreignkey")
        batch.drop_constraint("fk_warnings_assignee", type_="foreignkey")
        batch.drop_constraint("fk_warnings_org", type_="foreignkey")
        for col in (
            "archived_at", "disposed_at", "case_id", "merged_into_id", "follow_up_note",
            "rectification_report", "funds_recovered", "measures", "finding_note", "finding",
            "return_reason", "escalation_level", "pause_reason", "paused_at", "paused",
            "due_at", "stage_started_at", "dispatched_at", "assignee_id", "org_id",
        ):  # fmt: skip
            batch.drop_column(col)
    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("organisations")
