"""Public portal: divisions, publications and versions, published rows, complaints, attachments,
replies, self-query log, used challenges.

Revision ID: 0100_portal
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0100_portal"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portal_divisions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
    )
    op.create_table(
        "portal_publications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("division_code", sa.String(12), index=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "portal_publication_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "publication_id",
            sa.Integer,
            sa.ForeignKey("portal_publications.id"),
            nullable=False,
        ),
        sa.Column("version_no", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("eligibility", sa.Text, nullable=False),
        sa.Column("self_query", sa.Boolean, nullable=False),
        sa.Column("verification", sa.String(30)),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("approved_by", sa.String(64)),
        sa.Column("approved_at", TZ),
        sa.Column("published_by", sa.String(64)),
        sa.Column("published_at", TZ),
        sa.Column("withdrawn_by", sa.String(64)),
        sa.Column("withdrawn_at", TZ),
        sa.Column("withdrawn_reason", sa.Text),
        sa.UniqueConstraint("publication_id", "version_no", name="uq_portal_version_no"),
    )
    op.create_index("ix_portal_versions_state", "portal_publication_versions", ["state"])
    op.create_table(
        "portal_published_rows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("portal_publication_versions.id"),
            nullable=False,
        ),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("division_code", sa.String(12)),
        sa.Column("person_hash", sa.String(64)),
        sa.Column("verify_hash", sa.String(64)),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_portal_rows_version_row", "portal_published_rows", ["version_id", "row_no"])
    op.create_index("ix_portal_rows_person", "portal_published_rows", ["version_id", "person_hash"])
    op.create_table(
        "portal_complaints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_no", sa.String(32), nullable=False, unique=True),
        sa.Column("tracking_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("complainant_name", sa.String(50)),
        sa.Column("complainant_phone", sa.String(20)),
        sa.Column("division_code", sa.String(12), nullable=False, index=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("target_name", sa.String(100), nullable=False),
        sa.Column("target_org", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), index=True),
        sa.Column("reply_draft", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_month", sa.String(7), nullable=False),
    )
    op.create_index(
        "ix_portal_complaints_month_cat", "portal_complaints", ["created_month", "category"]
    )
    op.create_table(
        "portal_complaint_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "complaint_id",
            sa.Integer,
            sa.ForeignKey("portal_complaints.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("original_name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
    )
    op.create_table(
        "portal_complaint_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "complaint_id",
            sa.Integer,
            sa.ForeignKey("portal_complaints.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("warning_status", sa.String(20), nullable=False),
        sa.Column("published_at", TZ, nullable=False),
    )
    op.create_table(
        "portal_self_query_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "publication_id",
            sa.Integer,
            sa.ForeignKey("portal_publications.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("id_hash", sa.String(64), nullable=False, index=True),
        sa.Column("client_hash", sa.String(64), nullable=False),
        sa.Column("matched_rows", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("queried_at", TZ, nullable=False),
    )
    op.create_table(
        "portal_used_challenges",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("expires_at", TZ, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in (
        "portal_used_challenges",
        "portal_self_query_log",
        "portal_complaint_replies",
        "portal_complaint_attachments",
        "portal_complaints",
        "portal_published_rows",
        "portal_publication_versions",
        "portal_publications",
        "portal_divisions",
    ):
        op.drop_table(table)
