"""Complaint analytics for the back office and the dashboard: near-duplicate texts (jieba words +
MinHash LSH), repeated complaints about one target, long-unresolved cases, fast or copy-paste
replies, and trends by category and place. Counting is done in SQL; only the text similarity
works per document (MinHash signatures), which is what it is built for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, select
from sqlalchemy.orm import Session

from qingfeng.portal.complaints import CATEGORIES
from qingfeng.portal.models import Complaint, ComplaintReply
from qingfeng.store.models import Warning, utcnow

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def _tokens(text: str) -> set[str]:
    """The set of jieba words (punctuation dropped). Word bigrams were tried and separate
    paraphrases less well: one changed word breaks two bigrams."""
    import jieba  # heavy import (dictionary load): only when analytics run

    return {w for w in jieba.lcut(text) if not _PUNCT.fullmatch(w)}


def near_duplicate_groups(
    items: Iterable[tuple[str, str]], threshold: float = 0.5, num_perm: int = 128
) -> list[list[str]]:
    """Groups (size ≥ 2) of ids whose texts are near duplicates (estimated Jaccard ≥ threshold),
    joined transitively; each group sorted, groups largest first."""
    import jieba
    from datasketch import MinHash, MinHashLSH

    jieba.setLogLevel(60)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for key, text in items:
        mh = MinHash(num_perm=num_perm, seed=7)
        for tok in _tokens(text):
            mh.update(tok.encode("utf-8"))
        parent[key] = key
        for other in lsh.query(mh):
            ra, rb = find(key), find(other)
            if ra != rb:
                parent[ra] = rb
        lsh.insert(key, mh)
    groups: dict[str, list[str]] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)
    out = [sorted(g) for g in groups.values() if len(g) > 1]
    return sorted(out, key=lambda g: (-len(g), g[0]))


def _scoped(stmt: Select, where: ColumnElement[bool] | None) -> Select:
    """Restrict a statement over `Complaint` by a condition on the complaint's `Warning` (the
    staff member's organisational scope, `portal.staff.scope_clause`)."""
    if where is None:
        return stmt
    return stmt.join(Warning, Warning.id == Complaint.warning_id).where(where)


def duplicate_complaints(
    session: Session,
    since: datetime | None = None,
    threshold: float = 0.5,
    where: ColumnElement[bool] | None = None,
) -> list[list[str]]:
    stmt = select(Complaint.complaint_no, Complaint.title, Complaint.content)
    if since is not None:
        stmt = stmt.where(Complaint.created_at >= since)
    rows = session.execute(_scoped(stmt, where)).all()
    return near_duplicate_groups(((no, f"{t}\n{c}") for no, t, c in rows), threshold)


def repeated_targets(
    session: Session, min_count: int = 2, where: ColumnElement[bool] | None = None
) -> list[dict[str, Any]]:
    """Targets (person and/or organisation, per place) with at least `min_count` complaints."""
    target_name = func.trim(Complaint.target_name)
    target_org = func.trim(Complaint.target_org)
    stmt = (
        select(
            target_name.label("target_name"),
            target_org.label("target_org"),
            Complaint.division_code,
            func.count().label("n"),
            func.min(Complaint.created_at).label("first"),
            func.max(Complaint.created_at).label("last"),
        )
        .where((target_name != "") | (target_org != ""))
        .group_by(target_name, target_org, Complaint.division_code)
        .having(func.count() >= min_count)
        .order_by(func.count().desc())
    )
    return [
        {
            "target_name": r.target_name,
            "target_org": r.target_org,
            "division_code": r.division_code,
            "count": r.n,
            "first": r.first,
            "last": r.last,
        }
        for r in session.execute(_scoped(stmt, where))
    ]


def long_unresolved(
    session: Session,
    days: int = 30,
    now: datetime | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Complaints still without a published reply `days` after they were received."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    stmt = (
        select(
            Complaint.complaint_no,
            Complaint.division_code,
            Complaint.category,
            Complaint.created_at,
        )
        .where(Complaint.status != "replied", Complaint.created_at < cutoff)
        .order_by(Complaint.created_at)
    )
    return [
        {"complaint_no": r[0], "division_code": r[1], "category": r[2], "received_at": r[3]}
        for r in session.execute(_scoped(stmt, where))
    ]


def suspicious_replies(
    session: Session,
    fast_hours: float = 24,
    threshold: float = 0.8,
    where: ColumnElement[bool] | None = None,
) -> dict[str, Any]:
    """Replies published within `fast_hours` of receipt, and groups of copy-paste replies."""
    stmt = select(
        Complaint.complaint_no,
        Complaint.created_at,
        ComplaintReply.published_at,
        ComplaintReply.body,
    ).join(ComplaintReply, ComplaintReply.complaint_id == Complaint.id)
    rows = session.execute(_scoped(stmt, where)).all()
    fast = []
    for no, created, published, _ in rows:
        hours = (_aware(published) - _aware(created)).total_seconds() / 3600
        if hours < fast_hours:
            fast.append({"complaint_no": no, "hours": round(hours, 2)})
    copies = near_duplicate_groups(((r[0], r[3]) for r in rows), threshold)
    return {"fast": fast, "copy_paste": copies}


def _aware(ts: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns: they were written in UTC.
    from datetime import UTC

    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def trends(
    session: Session,
    since_month: str | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Counts by month, category and place (dashboard series), answered and not. `where` is a
    condition on the complaint's `Warning` (e.g. the user's organisational scope)."""
    stmt = (
        select(
            Complaint.created_month,
            Complaint.category,
            Complaint.division_code,
            func.count().label("n"),
            func.sum((Complaint.status == "replied").cast(Integer)).label("replied"),
        )
        .group_by(Complaint.created_month, Complaint.category, Complaint.division_code)
        .order_by(Complaint.created_month, Complaint.category, Complaint.division_code)
    )
    if since_month:
        stmt = stmt.where(Complaint.created_month >= since_month)
    return [
        {
            "month": r[0],
            "category": r[1],
            "category_label": CATEGORIES.get(r[1], r[1]),
            "division_code": r[2],
            "count": r[3],
            "replied": int(r[4] or 0),
        }
        for r in session.execute(_scoped(stmt, where))
    ]


def trend_series(
    rows: list[dict[str, Any]], division_names: dict[str, str] | None = None
) -> dict[str, Any]:
    """`trends` rows shaped for a chart: the months on the x axis, one series per category (counts
    and answered counts aligned with the months), totals per place, and overall totals."""
    names = division_names or {}
    months = sorted({r["month"] for r in rows})
    at = {m: i for i, m in enumerate(months)}
    by_cat: dict[str, dict[str, Any]] = {}
    by_place: dict[str, dict[str, Any]] = {}
    for r in rows:
        cat = by_cat.setdefault(
            r["category"],
            {
                "key": r["category"],
                "label": r["category_label"],
                "counts": [0] * len(months),
                "replied": [0] * len(months),
            },
        )
        cat["counts"][at[r["month"]]] += r["count"]
        cat["replied"][at[r["month"]]] += r["replied"]
        place = by_place.setdefault(
            r["division_code"],
            {
                "code": r["division_code"],
                "name": names.get(r["division_code"], r["division_code"]),
                "count": 0,
                "replied": 0,
            },
        )
        place["count"] += r["count"]
        place["replied"] += r["replied"]
    order = {k: i for i, k in enumerate(CATEGORIES)}
    return {
        "months": months,
        "categories": sorted(by_cat.values(), key=lambda c: order.get(c["key"], len(order))),
        "places": sorted(by_place.values(), key=lambda p: (-p["count"], p["code"])),
        "total": sum(r["count"] for r in rows),
        "replied": sum(r["replied"] for r in rows),
    }


def month_back(now: datetime, months: int) -> str:
    """'YYYY-MM' of the first month of a window of `months` months ending with `now`'s month."""
    index = now.year * 12 + (now.month - 1) - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# Field order of the standard `complaints` dataset (docs/architecture.md), so that portal complaints
# can join the 12345-hotline complaints in the lake and the model library's complaint models.
COMPLAINTS_DATASET_FIELDS = (
    "complaint_no",
    "received_at",
    "complainant_phone",
    "division_code",
    "target_name",
    "target_org",
    "category",
    "content",
    "replied_at",
    "reply",
    "status",
)


def complaints_dataset_rows(session: Session) -> list[dict[str, Any]]:
    """Portal complaints shaped as the standard `complaints` dataset (latest reply per complaint),
    for the ingest station to publish as a lake batch."""
    latest = (
        select(
            ComplaintReply.complaint_id,
            func.max(ComplaintReply.id).label("reply_id"),
        )
        .group_by(ComplaintReply.complaint_id)
        .subquery()
    )
    stmt = (
        select(Complaint, ComplaintReply)
        .outerjoin(latest, latest.c.complaint_id == Complaint.id)
        .outerjoin(ComplaintReply, ComplaintReply.id == latest.c.reply_id)
        .order_by(Complaint.id)
    )
    rows = []
    for c, r in session.execute(stmt):
        rows.append(
            {
                "complaint_no": c.complaint_no,
                "received_at": _aware(c.created_at).isoformat(),
                "complainant_phone": c.complainant_phone,
                "division_code": c.division_code,
                "target_name": c.target_name,
                "target_org": c.target_org,
                "category": CATEGORIES.get(c.category, c.category),
                "content": c.title + "\n" + c.content,
                "replied_at": _aware(r.published_at).isoformat() if r else None,
                "reply": r.body if r else None,
                "status": c.status,
            }
        )
    return rows
