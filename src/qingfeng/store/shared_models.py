"""Store tables that let several web workers (processes or hosts) behave as one.

Everything one request may need from another lives here instead of in a process's memory:

- `shared_state`: small named JSON documents (the progress of the model run started from the
  Models page, the dashboard figures' generation), each with the time it was last written;
- `graph_refs`: the opaque node tokens the relationship graph hands out, so an expansion may
  land on any worker;
- `rate_buckets`: the portal's token buckets (per client address, per ID-number digest).

Imported at the end of `qingfeng.store.models`, so the metadata (and Alembic) always has them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qingfeng.store.models import Base, UTCDateTime, utcnow


class SharedState(Base):
    __tablename__ = "shared_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GraphRef(Base):
    """A graph node token: valid only for the user it was issued to, forgotten after a day."""

    __tablename__ = "graph_refs"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    identifier: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_graph_refs_created_at", "created_at"),)


class RateBucket(Base):
    """One token bucket: its level when last touched and when (seconds since the epoch)."""

    __tablename__ = "rate_buckets"

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    touched_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_rate_buckets_touched_at", "touched_at"),)
