"""Turn one model run's hits into warnings, by fingerprint: insert new, refresh still present,
mark no longer present. Set-based and chunked, so 100k hits take seconds, not minutes.

The engine owns the finding columns (severity, amount, explanation, evidence, present, last run);
the closed loop owns the workflow columns. We therefore do not bump the optimistic-locking
`version` here: a supervisor editing a warning while a run refreshes its evidence does not lose
their edit, and does not get a spurious conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, insert, select, true, update
from sqlalchemy.orm import Session

from qingfeng.hits import Hit
from qingfeng.store.models import ModelRun, Warning, utcnow

CHUNK = 2000
T = TypeVar("T")


@dataclass
class RunDiff:
    """What a run changed: fingerprints of new warnings, still present and no longer present."""

    new: list[str] = field(default_factory=list)
    still_present: list[str] = field(default_factory=list)
    no_longer_present: list[str] = field(default_factory=list)
    updated: int = 0  # still present and their finding (severity, amount, text...) changed


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _finding(hit: Hit) -> dict[str, Any]:
    return {
        "model_version": hit.model_version,
        "subject_name": hit.subject_name,
        "severity": hit.severity,
        "amount": Decimal(hit.amount).quantize(Decimal("0.01")) if hit.amount is not None else None,
        "division_code": hit.division_code,
        "explanation": hit.explanation,
        "evidence": hit.evidence,
    }


def _dedupe(hits: Iterable[Hit]) -> dict[str, Hit]:
    by_fp: dict[str, Hit] = {}
    for hit in hits:
        by_fp[hit.fingerprint] = hit  # the engine already merges; keep the last to be safe
    return by_fp


def sync_model_run(session: Session, run: ModelRun, hits: Iterable[Hit]) -> RunDiff:
    """Apply `hits` of `run` (a flushed ModelRun of one model) to the warnings table, in the
    caller's transaction, and record the counts on `run`."""
    if run.id is None:
        session.flush()
    table: Table = Warning.__table__  # type: ignore[assignment]
    by_fp = _dedupe(hits)
    for hit in by_fp.values():
        if hit.model_id != run.model_id:
            raise ValueError(f"hit of model {hit.model_id} given to a run of {run.model_id}")

    existing: dict[str, tuple[int, bool, dict[str, Any]]] = {}
    columns = [table.c.id, table.c.fingerprint, table.c.present] + [
        table.c[name] for name in _finding_columns()
    ]
    for row in session.execute(select(*columns).where(table.c.model_id == run.model_id)):
        finding = {name: getattr(row, name) for name in _finding_columns()}
        existing[row.fingerprint] = (row.id, row.present, finding)

    diff = RunDiff()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    still_ids: list[int] = []
    changed: list[dict[str, Any]] = []
    for fp, hit in by_fp.items():
        finding = _finding(hit)
        if fp not in existing:
            diff.new.append(fp)
            new_rows.append(
                {
                    "fingerprint": fp,
                    "model_id": hit.model_id,
                    "subject_type": hit.subject_type,
                    "subject_id": hit.subject_id,
                    "period": hit.period,
                    **finding,
                    "status": "new",
                    "present": True,
                    "first_run_id": run.id,
                    "last_run_id": run.id,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            continue
        warning_id, _present, old = existing[fp]
        diff.still_present.append(fp)
        still_ids.append(warning_id)
        if old != finding:
            changed.append({"b_id": warning_id, **finding, "updated_at": now})
    gone_ids = [wid for fp, (wid, present, _) in existing.items() if present and fp not in by_fp]
    diff.no_longer_present = [
        fp for fp, (_, present, _) in existing.items() if present and fp not in by_fp
    ]

    for chunk in _chunks(new_rows):
        session.execute(insert(table), list(chunk))
    if changed:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in [*_finding_columns(), "updated_at"]})
        )
        for chunk in _chunks(changed):
            session.execute(stmt, list(chunk))
    diff.updated = len(changed)
    for ids in _chunks(still_ids):
        session.execute(
            update(table).where(table.c.id.in_(ids)).values(present=true(), last_run_id=run.id)
        )
    for ids in _chunks(gone_ids):
        session.execute(update(table).where(table.c.id.in_(ids)).values(present=False))

    run.hits = len(by_fp)
    run.new_warnings = len(diff.new)
    run.still_present = len(diff.still_present)
    run.no_longer_present = len(diff.no_longer_present)
    session.flush()
    return diff


def _finding_columns() -> list[str]:
    return [
        "model_version",
        "subject_name",
        "severity",
        "amount",
        "division_code",
        "explanation",
        "evidence",
    ]
