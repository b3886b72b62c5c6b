"""Every warning routed to an owner, and leads made of evidence lines.

- `warning_lines`: the evidence lines of a lead (one per hit: subject × period). A lead of one
  line stores none (its finding is its line), so every existing warning is already a lead of
  one line and nothing is copied.
- Routing of the existing warnings (the lake is not available here, so no subject lookups): a
  warning without an area gets the county's (the store's one county unit), and a warning not
  yet dispatched gets its responsible unit: the deepest unit of the county whose area contains
  the warning's, else the county unit. The next `qingfeng run` re-routes each model's warnings
  from their subjects; `qingfeng warnings reroute` does the unit assignment again at any time.

Revision ID: 0500_routing
Revises: 0400_password_change
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0500_routing"
down_revision = "0400_password_change"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warning_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warnings.id"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2)),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("model_runs.id")),
        sa.Column("last_run_id", sa.Integer, sa.ForeignKey("model_runs.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_warning_lines_warning_id", "warning_lines", ["warning_id"])
    _route_existing(op.get_bind())


def _route_existing(conn: sa.Connection) -> None:
    counties = conn.execute(
        sa.text(
            "SELECT id, division_code FROM organisations "
            "WHERE kind = 'county' AND division_code IS NOT NULL"
        )
    ).all()
    if len(counties) != 1:
        return  # no county, or several: `qingfeng warnings reroute` with the workspace's county
    county_id, county_code = counties[0]
    conn.execute(
        sa.text("UPDATE warnings SET division_code = :code WHERE division_code IS NULL"),
        {"code": county_code},
    )
    # deepest unit of the county whose area contains the warning's, longest prefix first
    units = conn.execute(
        sa.text(
            "SELECT id, division_code FROM organisations "
            "WHERE division_code IS NOT NULL AND division_code LIKE :prefix"
        ),
        {"prefix": county_code + "%"},
    ).all()
    waiting = "(org_id IS NULL AND status IN ('new', 'returned'))"
    for unit_id, code in sorted((u for u in units if u[1].isdigit()), key=lambda u: -len(u[1])):
        conn.execute(
            sa.text(
                f"UPDATE warnings SET org_id = :unit WHERE {waiting} "
                "AND division_code >= :low AND division_code < :high"
            ),
            # digits only: the codes starting with `code` lie in [code, code + 1)
            {"unit": unit_id, "low": code, "high": str(int(code) + 1).zfill(len(code))},
        )
    conn.execute(
        sa.text(f"UPDATE warnings SET org_id = :unit WHERE {waiting}"), {"unit": county_id}
    )


def downgrade() -> None:
    op.drop_index("ix_warning_lines_warning_id", table_name="warning_lines")
    op.drop_table("warning_lines")
