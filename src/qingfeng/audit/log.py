"""Hash-chained audit rows.

Each row's hash is sha256(prev_hash + canonical JSON of its own fields), so changing, removing or
reordering any row breaks the chain from that row on; `audit_head` holds the last seq and hash,
so cutting rows off the end is caught too. With an audit key (settings `audit_key`, never in
the store) each row also carries `mac`, an HMAC of its hash: someone holding only the database
cannot rebuild the chain after deleting or changing rows, and signed checkpoints of the head
kept outside the store (qingfeng.audit.checkpoints) catch rows cut from the end.

Writers first UPDATE the single `audit_head` row, which queues concurrent transactions (row lock
on PostgreSQL, the write lock on SQLite): the chain never forks. Rows are written through the
caller's session, so they commit or roll back with the change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from qingfeng.audit import checkpoints as cps
from qingfeng.audit.keys import key_for_session, row_mac
from qingfeng.store.models import AuditHead, AuditLog, utcnow

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"audit detail value of type {type(value).__name__} is not JSON")


def normalise_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail exactly as it will read back from the database (JSON round trip)."""
    result: dict[str, Any] = json.loads(json.dumps(detail, default=_jsonable, ensure_ascii=False))
    return result


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def row_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
) -> str:
    body = json.dumps(
        [seq, _timestamp(at), actor, action, object_type, object_id, detail],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit row in the session's transaction; returns its seq."""
    return append_many(
        session, [AuditEntry(actor, action, object_type, str(object_id), detail or {})]
    )[0]


def append_many(session: Session, entries: Sequence[AuditEntry]) -> list[int]:
    """Append several rows under one lock of the chain head; returns their seqs."""
    if not entries:
        return []
    session.flush()  # the change itself first: a conflict there must not touch the chain
    conn = session.connection()
    # Taking the head row first serialises writers; RETURNING gives the seq we now own.
    claimed = conn.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + len(entries))
        .returning(AuditHead.seq, AuditHead.hash)
    ).one_or_none()
    if claimed is None:
        raise RuntimeError("audit_head row is missing: run the store migrations (qingfeng init)")
    last_seq, prev_hash = claimed
    seq = last_seq - len(entries)
    at = utcnow()
    key = key_for_session(session)
    rows: list[dict[str, Any]] = []
    seqs: list[int] = []
    for entry in entries:
        seq += 1
        detail = normalise_detail(entry.detail)
        digest = row_hash(
            prev_hash,
            seq,
            at,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            detail,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": entry.actor,
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "detail": detail,
                "prev_hash": prev_hash,
                "hash": digest,
                "mac": row_mac(key, seq, digest) if key else None,
            }
        )
        seqs.append(seq)
        prev_hash = digest
    conn.execute(insert(AuditLog), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=prev_hash))
    return seqs


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str = ""


def verify(
    session: Session,
    batch: int = 5000,
    key: bytes | None = None,
    checkpoints: Sequence[cps.Checkpoint] = (),
) -> ChainReport:
    """Walk the chain from the first row; report the first row that does not check out.

    With `key`, every row after the newest checkpoint must carry a valid MAC (rows written
    before the store was keyed are covered by a checkpoint, whose hash binds all rows up to
    it), and a row carrying a MAC must match it. Every checkpoint must name a row of the chain
    with the same hash."""
    witnessed = {cp.seq: cp.hash for cp in checkpoints}
    sealed_up_to = max(witnessed, default=0)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    stmt = select(AuditLog).order_by(AuditLog.seq).execution_options(yield_per=batch)
    for row in _stream(session, stmt):
        if row.seq != expected_seq:
            return ChainReport(
                count,
                False,
                expected_seq,
                f"row {expected_seq} is missing (next row found is {row.seq})",
            )
        if row.prev_hash != prev_hash:
            return ChainReport(
                count, False, row.seq, f"row {row.seq} does not link to row {row.seq - 1}"
            )
        digest = row_hash(
            row.prev_hash,
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.object_type,
            row.object_id,
            row.detail,
        )
        if digest != row.hash:
            return ChainReport(
                count, False, row.seq, f"row {row.seq} was altered (its hash does not match)"
            )
        if key is not None:
            if row.mac is None and row.seq > sealed_up_to:
                return ChainReport(
                    count,
                    False,
                    row.seq,
                    f"row {row.seq} carries no audit-key MAC and no checkpoint covers it",
                )
            if row.mac is not None and not hmac.compare_digest(
                row.mac, row_mac(key, row.seq, row.hash)
            ):
                return ChainReport(
                    count,
                    False,
                    row.seq,
                    f"row {row.seq} was rewritten without the audit key (its MAC does not match)",
                )
        if row.seq in witnessed and witnessed[row.seq] != row.hash:
            return ChainReport(
                count,
                False,
                row.seq,
                f"row {row.seq} differs from the signed checkpoint of the chain at that row",
            )
        prev_hash = row.hash
        expected_seq += 1
        count += 1
    head = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    ).one_or_none()
    if head is None:
        return ChainReport(count, False, None, "audit_head row is missing")
    if sealed_up_to > count:
        return ChainReport(
            count,
            False,
            count + 1,
            f"a signed checkpoint records row {sealed_up_to} but the chain ends at row {count}: "
            "rows were removed from the end",
        )
    if head.seq != count or head.hash != prev_hash:
        return ChainReport(
            count,
            False,
            count + 1,
            f"the chain ends at row {count} but the head records row {head.seq}: "
            "rows were removed from the end",
        )
    return ChainReport(count, True)


def head(session: Session) -> tuple[int, str] | None:
    """The chain head's seq and hash, as recorded in `audit_head`."""
    row = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    ).one_or_none()
    return (int(row.seq), str(row.hash)) if row is not None else None


def _stream(session: Session, stmt: Any) -> Iterable[AuditLog]:
    yield from session.scalars(stmt)
