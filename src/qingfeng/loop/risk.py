"""The risk score of a warning (风险评分): a transparent sum of six parts, 0–100 points.

| part | points | what it measures |
| --- | ---: | --- |
| precision | 35 × p | the model's share confirmed, (confirmed + k·m) / (verified + k) |
| severity | 25 × share | red 1, orange 0.7, yellow 0.4, blue 0.2 |
| amount | 15 × min(1, log10(1 + yuan) / 6) | log-scaled: ¥1,000,000 or more gives the full 15 |
| repeat | 8 × min(1, n / 4) | other hits of the same model on the same subject |
| cross-model | 10 × min(1, n / 2) | other models that hit the same subject |
| other open | 7 × min(1, n / 5) | the subject's other warnings still open |

The precision is the mean of a Beta prior updated by the outcomes: m is the model's declared
`expected_precision` (`[loop.models.<id>]`), else `[loop.risk] prior_precision` (0.5), and counts
as k = `prior_strength` (4) verified warnings, so a model with no outcomes yet scores m.

Each part is rounded to 0.1 and the score is their sum, so the parts shown beside the score add up
to it. `recompute_risk` updates the live warnings (every state but archived and merged: a closed
warning keeps the score it closed with) set-based: one GROUP BY per subject statistic into a
temporary table, one UPDATE … FROM, only rows whose score or parts changed. The runner calls it
after each sync; the loop calls it for one model and one subject when an action records or clears
a finding or closes a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import JSON

from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import STATES
from qingfeng.store.models import Warning

# (part, maximum points); the order in which the parts are shown.
WEIGHTS: dict[str, float] = {
    "precision": 35.0,
    "severity": 25.0,
    "amount": 15.0,
    "repeat": 8.0,
    "cross_model": 10.0,
    "open": 7.0,
}
SEVERITY_SHARE = {"red": 1.0, "orange": 0.7, "yellow": 0.4, "blue": 0.2}
AMOUNT_FULL_DIGITS = 6.0  # log10 of the amount (yuan) that earns the full amount points
REPEAT_FULL = 4  # other hits of the model on the subject for the full repeat points
CROSS_FULL = 2  # other models on the subject for the full cross-model points
OPEN_FULL = 5  # other open warnings of the subject for the full points
CLOSED = ("archived", "merged")
LIVE = tuple(state for state in STATES if state not in CLOSED)
# Findings that count as verified ("cannot verify" says nothing about the model).
VERIFIED = ("confirmed", "partly_confirmed", "unfounded")
SUBSTANTIATED = ("confirmed", "partly_confirmed")
# Actions after which scores change: a finding is recorded or cleared, a warning closes or opens.
OUTCOME_ACTIONS = frozenset({"dispose", "approve", "reopen"})
OPENNESS_ACTIONS = frozenset({"archive", "merge", "reopen"})


class json_obj(GenericFunction[Any]):
    """A JSON object from (key, value, key, value, ...), in each store's own function."""

    type = JSON()
    inherit_cache = True


@compiles(json_obj, "sqlite")
def _json_obj_sqlite(element: json_obj, compiler: Any, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_obj, "postgresql")
def _json_obj_pg(element: json_obj, compiler: Any, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


class json_num(GenericFunction[float]):
    """The number under a key of a JSON object column: json_num(column, "key")."""

    type = Float()
    inherit_cache = True


@compiles(json_num, "sqlite")
def _json_num_sqlite(element: json_num, compiler: Any, **kw: Any) -> str:
    column, key = list(element.clauses)
    return f"json_extract({compiler.process(column, **kw)}, '$.' || {compiler.process(key, **kw)})"


@compiles(json_num, "postgresql")
def _json_num_pg(element: json_num, compiler: Any, **kw: Any) -> str:
    column, key = list(element.clauses)
    return f"CAST(({compiler.process(column, **kw)} ->> {compiler.process(key, **kw)}) AS FLOAT)"


@dataclass(frozen=True)
class ModelPrecision:
    verified: int
    confirmed: int
    prior: float
    precision: float  # the posterior mean


def model_precisions(
    session: Session, config: LoopConfig, model_ids: Iterable[str] | None = None
) -> dict[str, ModelPrecision]:
    """Each model's precision from the outcomes recorded in the whole store, with its prior."""
    stmt = select(
        Warning.model_id,
        func.sum(case((Warning.finding.in_(VERIFIED), 1), else_=0)),
        func.sum(case((Warning.finding.in_(SUBSTANTIATED), 1), else_=0)),
    ).where(Warning.status != "merged")
    if model_ids is not None:
        stmt = stmt.where(Warning.model_id.in_(list(model_ids)))
    out = {}
    for model_id, verified, confirmed in session.execute(stmt.group_by(Warning.model_id)):
        out[model_id] = precision_of(config, model_id, int(verified or 0), int(confirmed or 0))
    return out


def precision_of(
    config: LoopConfig, model_id: str, verified: int, confirmed: int
) -> ModelPrecision:
    declared = config.models.get(model_id)
    prior = (
        declared.expected_precision
        if declared is not None and declared.expected_precision is not None
        else config.risk.prior_precision
    )
    k = config.risk.prior_strength
    return ModelPrecision(verified, confirmed, prior, (confirmed + k * prior) / (verified + k))


def _capped(value: ColumnElement[Any], full: float) -> ColumnElement[Any]:
    share = cast(value, Float) / full
    return case((share > 1.0, 1.0), (share < 0.0, 0.0), else_=share)


def _points(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Rounded to 0.1 (PostgreSQL rounds to decimals only on numeric)."""
    return cast(func.round(cast(value, Numeric(12, 4)), 1), Float)


def _temp_tables() -> tuple[Table, Table]:
    meta = MetaData()
    pair = Table(
        "risk_tmp_pair",
        meta,
        Column("model_id", String(80)),
        Column("subject_type", String(30)),
        Column("subject_id", String(64)),
        Column("n", Integer),
        Column("open_n", Integer),
        prefixes=["TEMPORARY"],
    )
    subject = Table(
        "risk_tmp_subject",
        meta,
        Column("subject_type", String(30)),
        Column("subject_id", String(64)),
        Column("open_n", Integer),
        Column("models_n", Integer),
        prefixes=["TEMPORARY"],
    )
    return pair, subject


def recompute_risk(
    session: Session,
    config: LoopConfig,
    *,
    model_ids: Sequence[str] | None = None,
    subject_ids: Sequence[str] | None = None,
) -> int:
    """Recompute the score of the live warnings (of these models, or on these subjects, or all)
    in the caller's transaction; returns how many rows changed."""
    w = Warning.__table__
    session.flush()  # pending changes take part (and survive the expiry below)
    subjects = sorted(set(subject_ids)) if subject_ids is not None else None
    if subjects is not None and not subjects:
        return 0
    alive = w.c.status.in_(LIVE)  # a list of states: the status indexes serve it
    # Only the rows and statistics the update needs: the subjects with an open warning (of
    # these models), or these subjects and the models that hit them.
    needed_models: list[str] | None = None
    in_subjects: list[ColumnElement[bool]] = [
        w.c.subject_id.in_(select(w.c.subject_id).where(alive))
    ]
    if subjects is not None:
        in_subjects = [w.c.subject_id.in_(subjects)]
        needed_models = list(session.scalars(select(w.c.model_id).where(*in_subjects).distinct()))
    elif model_ids is not None:
        needed_models = list(model_ids)
        in_subjects = [
            w.c.subject_id.in_(select(w.c.subject_id).where(w.c.model_id.in_(needed_models), alive))
        ]
    precisions = model_precisions(session, config, needed_models)
    if not precisions:
        return 0
    pair, subject = _temp_tables()
    conn = session.connection()
    pair.drop(conn, checkfirst=True)
    subject.drop(conn, checkfirst=True)
    pair.create(conn)
    subject.create(conn)
    try:
        counted = w.c.status != "merged"
        conn.execute(
            pair.insert().from_select(
                ["model_id", "subject_type", "subject_id", "n", "open_n"],
                select(
                    w.c.model_id,
                    w.c.subject_type,
                    w.c.subject_id,
                    func.count(),
                    func.sum(case((alive, 1), else_=0)),
                )
                .where(counted, *in_subjects)
                .group_by(w.c.model_id, w.c.subject_type, w.c.subject_id),
            )
        )
        conn.execute(  # one pass over the warnings: the subjects' totals come from the pairs
            subject.insert().from_select(
                ["subject_type", "subject_id", "open_n", "models_n"],
                select(
                    pair.c.subject_type,
                    pair.c.subject_id,
                    func.sum(pair.c.open_n),
                    func.count(),
                ).group_by(pair.c.subject_type, pair.c.subject_id),
            )
        )
        Index("risk_tmp_pair_ix", pair.c.subject_id, pair.c.model_id).create(conn)
        Index("risk_tmp_subject_ix", subject.c.subject_id).create(conn)
        if conn.dialect.name == "postgresql":
            # autovacuum never sees temporary tables: without statistics the planner takes them
            # for empty and joins a whole store by nested loops
            conn.execute(text("ANALYZE risk_tmp_pair"))
            conn.execute(text("ANALYZE risk_tmp_subject"))
        prior = config.risk.prior_precision
        changed = conn.execute(_update(w, pair, subject, precisions, prior, model_ids, subjects))
        # Warnings loaded in this session hold the old score (the UPDATE bypassed the ORM).
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Warning):
                session.expire(obj, ["risk_score", "risk_parts"])
        return int(changed.rowcount or 0)
    finally:
        pair.drop(conn, checkfirst=True)
        subject.drop(conn, checkfirst=True)


def _update(
    w: Any,
    pair: Table,
    subject: Table,
    precisions: dict[str, ModelPrecision],
    prior: float,
    model_ids: Sequence[str] | None,
    subjects: list[str] | None,
) -> Any:
    p_value = case(
        {m: literal(round(p.precision, 4)) for m, p in precisions.items()},
        value=w.c.model_id,
        else_=literal(round(prior, 4)),
    )
    v_value = case(
        {m: literal(p.verified) for m, p in precisions.items()}, value=w.c.model_id, else_=0
    )
    sev_share = case(
        {s: literal(v) for s, v in SEVERITY_SHARE.items()}, value=w.c.severity, else_=0.0
    )
    amount_share = case(
        (w.c.amount.is_(None), 0.0),
        (w.c.amount <= 0, 0.0),
        else_=_capped(func.log10(cast(w.c.amount, Float) + 1.0), AMOUNT_FULL_DIGITS),
    )
    repeat_n = pair.c.n - 1
    cross_n = subject.c.models_n - 1
    open_n = subject.c.open_n - 1
    parts = {
        "precision": _points(p_value * WEIGHTS["precision"]),
        "severity": _points(sev_share * WEIGHTS["severity"]),
        "amount": _points(amount_share * WEIGHTS["amount"]),
        "repeat": _points(_capped(repeat_n, REPEAT_FULL) * WEIGHTS["repeat"]),
        "cross_model": _points(_capped(cross_n, CROSS_FULL) * WEIGHTS["cross_model"]),
        "open": _points(_capped(open_n, OPEN_FULL) * WEIGHTS["open"]),
    }
    total = parts["precision"]
    for name in ("severity", "amount", "repeat", "cross_model", "open"):
        total = total + parts[name]
    total = _points(total)
    parts_json = json_obj(
        "precision", parts["precision"], "p", p_value, "verified", v_value,
        "severity", parts["severity"],
        "amount", parts["amount"],
        "repeat", parts["repeat"], "repeat_n", repeat_n,
        "cross_model", parts["cross_model"], "cross_n", cross_n,
        "open", parts["open"], "open_n", open_n,
    )  # fmt: skip
    conditions = [
        w.c.status.in_(LIVE),
        w.c.model_id == pair.c.model_id,
        w.c.subject_type == pair.c.subject_type,
        w.c.subject_id == pair.c.subject_id,
        w.c.subject_type == subject.c.subject_type,
        w.c.subject_id == subject.c.subject_id,
        # only rows whose parts change (the total follows them): a re-run rewrites little
        w.c.risk_parts.is_(None) | (cast(w.c.risk_parts, Text) != cast(parts_json, Text)),
    ]
    if model_ids is not None and subjects is None:
        conditions.append(w.c.model_id.in_(list(model_ids)))
    # updated_at stays: a new score is not a change anyone made to the warning
    return (
        update(w)
        .where(and_(*conditions))
        .values(risk_score=total, risk_parts=parts_json, updated_at=w.c.updated_at)
    )


def rescore_precision(session: Session, config: LoopConfig, model_id: str) -> int:
    """After the model's outcomes changed: only the precision part of its live warnings moves
    (the other five count hits, models and open warnings, which a finding does not change).
    One UPDATE over the model's live warnings, rewriting the parts object with the new
    precision and the other parts as stored, and the score as their sum (in the order and
    rounding of the full recompute, so a later full run finds nothing to change). Warnings
    never scored yet get the full computation. Returns how many rows changed."""
    w = Warning.__table__
    session.flush()
    precisions = model_precisions(session, config, [model_id])
    if not precisions:
        return 0
    unscored = session.scalar(
        select(w.c.id)
        .where(w.c.model_id == model_id, w.c.status.in_(LIVE), w.c.risk_parts.is_(None))
        .limit(1)
    )
    if unscored is not None:
        return recompute_risk(session, config, model_ids=[model_id])
    mp = precisions[model_id]
    p_value = literal(round(mp.precision, 4), Float)
    precision = _points(p_value * WEIGHTS["precision"])
    kept = {name: json_num(w.c.risk_parts, name) for name in WEIGHTS if name != "precision"}
    total = precision
    for name in ("severity", "amount", "repeat", "cross_model", "open"):
        total = total + kept[name]
    parts_json = json_obj(
        "precision", precision, "p", p_value, "verified", literal(mp.verified, Integer),
        "severity", kept["severity"],
        "amount", kept["amount"],
        "repeat", kept["repeat"], "repeat_n", json_num(w.c.risk_parts, "repeat_n"),
        "cross_model", kept["cross_model"], "cross_n", json_num(w.c.risk_parts, "cross_n"),
        "open", kept["open"], "open_n", json_num(w.c.risk_parts, "open_n"),
    )  # fmt: skip
    changed = session.connection().execute(
        update(w)
        .where(
            w.c.model_id == model_id,
            w.c.status.in_(LIVE),
            (json_num(w.c.risk_parts, "p") != p_value)
            | (json_num(w.c.risk_parts, "verified") != mp.verified),
        )
        .values(risk_score=_points(total), risk_parts=parts_json, updated_at=w.c.updated_at)
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Warning):
            session.expire(obj, ["risk_score", "risk_parts"])
    return int(changed.rowcount or 0)


def refresh_after_action(
    session: Session, config: LoopConfig, warning: Warning, action: str
) -> None:
    """After one action: a recorded or cleared finding moves the model's precision (every live
    warning of the model, one UPDATE); closing or reopening moves the subject's others."""
    if action in OUTCOME_ACTIONS:
        rescore_precision(session, config, warning.model_id)
    if action in OUTCOME_ACTIONS | OPENNESS_ACTIONS:
        recompute_risk(session, config, subject_ids=[warning.subject_id])
        session.refresh(warning, ["risk_score", "risk_parts"])


def describe(parts: dict[str, Any] | None) -> list[tuple[str, float, float, str]]:
    """(part, points, maximum, what it counted) for showing beside the score."""
    if not parts:
        return []
    out = []
    for name, maximum in WEIGHTS.items():
        points = float(parts.get(name) or 0.0)
        if name == "precision":
            detail = f"{float(parts.get('p') or 0):.0%} ({int(parts.get('verified') or 0)})"
        elif name == "repeat":
            detail = str(int(parts.get("repeat_n") or 0))
        elif name == "cross_model":
            detail = str(int(parts.get("cross_n") or 0))
        elif name == "open":
            detail = str(int(parts.get("open_n") or 0))
        else:
            detail = ""
        out.append((name, points, maximum, detail))
    return out
