"""Passwords that must be changed: an administrator's initial or reset password is temporary
(`users.must_change_password`), and `users.password_changed_at` records the last change.

Revision ID: 0400_password_change
Revises: 0300_complaint_links
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0400_password_change"
down_revision = "0300_complaint_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
