"""Complaints linked to people, organisations and other warnings (portal_complaint_links), and an
index on warnings.merged_into_id (the closed loop's hook finds duplicates merged into a warning).

Revision ID: 0300_complaint_links
Revises: 0200_web_indexes
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0300_complaint_links"
down_revision = "0200_web_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_complaint_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "complaint_id",
            sa.Integer,
            sa.ForeignKey("portal_complaints.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(32), nullable=False),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id")),
        sa.Column("target_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "complaint_id", "target_type", "target_id", name="uq_portal_complaint_link"
        ),
    )
    op.create_index(
        "ix_portal_complaint_links_target",
        "portal_complaint_links",
        ["target_type", "target_id"],
    )
    op.create_index("ix_warnings_merged_into_id", "warnings", ["merged_into_id"])


def downgrade() -> None:
    op.drop_index("ix_warnings_merged_into_id", "warnings")
    op.drop_index("ix_portal_complaint_links_target", "portal_complaint_links")
    op.drop_table("portal_complaint_links")
