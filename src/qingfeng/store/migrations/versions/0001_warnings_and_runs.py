"""Warnings and model runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_group", sa.String(40), nullable=False, index=True),
        sa.Column("model_id", sa.String(80), nullable=False, index=True),
        sa.Column("model_version", sa.String(20), nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("new_warnings", sa.Integer, nullable=False),
        sa.Column("still_present", sa.Integer, nullable=False),
        sa.Column("no_longer_present", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("model_id", sa.String(80), nullable=False),
        sa.Column("model_version", sa.String(20), nullable=False),
        sa.Column("subject_type", sa.String(30), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False, index=True),
        sa.Column("subject_name", sa.String(200)),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2)),
        sa.Column("division_code", sa.String(12), index=True),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("model_runs.id")),
        sa.Column("last_run_id", sa.Integer, sa.ForeignKey("model_runs.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_warnings_status_severity", "warnings", ["status", "severity"])
    op.create_index("ix_warnings_model_status", "warnings", ["model_id", "status"])


def downgrade() -> None:
    op.drop_table("warnings")
    op.drop_table("model_runs")
