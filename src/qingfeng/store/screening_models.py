"""Store tables of pre-payment screening (阻断): the paying systems' API keys, each screening
request (kept for idempotency and replay) and each candidate's decision, held or released.

Imported at the end of `qingfeng.store.models`, so the metadata (and Alembic) always has them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingfeng.store.models import Base, UTCDateTime, utcnow


class ScreenApiKey(Base):
    """A paying system's key. Only a SHA-256 digest of the secret is kept (the secret is 256
    random bits, shown once); `prefix` is the public part that finds the row."""

    __tablename__ = "screen_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # the calling system, e.g. 民政一卡通
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)  # screened datasets allowed
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)  # division-code prefixes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("screen_api_keys.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScreenRequest(Base):
    """One call of a paying system: idempotent by (key, request id)."""

    __tablename__ = "screen_requests"
    __table_args__ = (UniqueConstraint("key_id", "request_id", name="uq_screen_request_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("screen_api_keys.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(100), index=True)
    dataset: Mapped[str] = mapped_column(String(60))
    inputs_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request's candidates
    candidates: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))  # the strictest of its candidates
    snapshot_id: Mapped[str] = mapped_column(String(32))
    snapshot_published_at: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)  # what was answered, for replays


class ScreenDecision(Base):
    """One candidate of a request: its decision now (a held one may be released)."""

    __tablename__ = "screen_decisions"
    __table_args__ = (UniqueConstraint("request_pk", "idx", name="uq_screen_decision_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("screen_requests.id"), index=True)
    idx: Mapped[int] = mapped_column(Integer)  # position in the request
    ref: Mapped[str | None] = mapped_column(String(200))
    inputs_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of this candidate
    decision: Mapped[str] = mapped_column(String(10))  # as screened: allow | review | block | error
    status: Mapped[str] = mapped_column(
        String(10)
    )  # now: allowed | held | stopped | released | error
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    models: Mapped[list[str]] = mapped_column(JSON, default=list)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), index=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(64))
    release_reason: Mapped[str | None] = mapped_column(Text)
