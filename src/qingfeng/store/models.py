"""SQLAlchemy 2 models of the workflow store. Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ModelRun(Base):
    """One execution of one supervision model: what it read, found and how long it took."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_group: Mapped[str] = mapped_column(String(40), index=True)  # one `qingfeng run` call
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    model_version: Mapped[str] = mapped_column(String(20))
    engine: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    new_warnings: Mapped[int] = mapped_column(Integer, default=0)
    still_present: Mapped[int] = mapped_column(Integer, default=0)
    no_longer_present: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Warning(Base):
    """A warning (预警): one model's finding about one subject in one period."""

    __tablename__ = "warnings"
    __table_args__ = (
        Index("ix_warnings_status_severity", "status", "severity"),
        Index("ix_warnings_model_status", "model_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    model_id: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    explanation: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="new")
    present: Mapped[bool] = mapped_column(default=True)  # found by the latest run of its model
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking

    __mapper_args__ = {"version_id_col": version}
