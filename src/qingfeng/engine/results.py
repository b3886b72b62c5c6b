"""Turn the rows of a compiled model into `Hit` records: explanation filled, one per fingerprint.

This loops over hits (the model's output), never over input data. Rows that share a fingerprint
(same subject and period, e.g. two subsidies in one month) become one hit: the worst severity, the
summed amount, the leading row's evidence with the others under `additional_rows`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from qingfeng.engine.compiler import EXPLANATION, HIT_FIELDS, CompiledModel
from qingfeng.hits import SEVERITIES, Hit

MAX_SENTENCES = 5
MAX_ADDITIONAL_ROWS = 50
# Widths of the warnings table's key columns (store.models.Warning; a test keeps them equal)
MAX_SUBJECT_ID = 64
MAX_PERIOD = 20


def _decimal(value: Decimal) -> str:
    return format(value, "f")


# Type → JSON-safe evidence value; one dict lookup per value (hits can be 10^5).
_JSON: dict[type, Callable[[Any], Any]] = {
    str: lambda v: v,
    int: lambda v: v,
    bool: lambda v: v,
    float: lambda v: v if v == v else None,  # NaN is not JSON
    dt.date: lambda v: v.isoformat(),
    dt.datetime: lambda v: v.isoformat(),
    Decimal: _decimal,
}


def json_value(value: Any) -> Any:
    """A JSON-safe form of an evidence value."""
    if value is None:
        return None
    fmt = _JSON.get(type(value))
    return fmt(value) if fmt else str(value)


class _Plan:
    """Where each needed value sits in a result row, computed once per model run."""

    def __init__(self, compiled: CompiledModel, columns: Sequence[str]) -> None:
        position = {name: i for i, name in enumerate(columns)}
        missing = [c for c in (*HIT_FIELDS.values(), EXPLANATION) if c not in position]
        if missing:
            raise ValueError(f"the query result lacks {missing}")
        self.subject_id = position[HIT_FIELDS["subject_id"]]
        self.subject_name = position[HIT_FIELDS["subject_name"]]
        self.period = position[HIT_FIELDS["period"]]
        self.severity = position[HIT_FIELDS["severity"]]
        self.amount = position[HIT_FIELDS["amount"]]
        self.division = position[HIT_FIELDS["division_code"]]
        self.explanation = position[EXPLANATION]
        self.evidence = [(c, position[c]) for c in compiled.spec.evidence]


def _evidence(plan: _Plan, row: Sequence[Any]) -> dict[str, Any]:
    return {name: json_value(row[index]) for name, index in plan.evidence}


def _rank(plan: _Plan, row: Sequence[Any]) -> tuple[Any, ...]:
    """Which of several rows for one warning leads: worst severity, largest amount, then stable."""
    amount = row[plan.amount]
    return (
        SEVERITIES.index(row[plan.severity]),
        -(amount if amount is not None else Decimal("-Infinity")),
        json.dumps(_evidence(plan, row), sort_keys=True),
    )


def rows_to_hits(
    compiled: CompiledModel, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[Hit], int]:
    """Hits sorted by subject and period, and the number of rows without a subject id."""
    spec = compiled.spec
    plan = _Plan(compiled, columns)
    groups: dict[tuple[str, str], list[Sequence[Any]]] = defaultdict(list)
    dropped = 0
    for row in rows:
        subject_id = row[plan.subject_id]
        if subject_id is None or subject_id == "":
            dropped += 1
            continue
        period = row[plan.period] or ""
        if len(subject_id) > MAX_SUBJECT_ID or len(period) > MAX_PERIOD:
            raise ValueError(
                f"model {spec.id}: a subject id is at most {MAX_SUBJECT_ID} and a period at most "
                f"{MAX_PERIOD} characters (got {len(subject_id)} and {len(period)}); "
                "shorten the `subject.id` or `period` expression"
            )
        groups[(subject_id, period)].append(row)

    hits = []
    for (subject_id, period), members in sorted(groups.items()):
        if len(members) > 1:
            members.sort(key=lambda r: _rank(plan, r))
        lead = members[0]
        evidence = _evidence(plan, lead)
        amount = lead[plan.amount]
        if len(members) == 1:
            explanation = lead[plan.explanation]
        else:
            amounts = [m[plan.amount] for m in members if m[plan.amount] is not None]
            amount = sum(amounts, Decimal(0)) if amounts else None
            sentences = list(dict.fromkeys(m[plan.explanation] for m in members))
            explanation = "；".join(sentences[:MAX_SENTENCES])
            if len(sentences) > MAX_SENTENCES:
                explanation += f"等，共{len(members)}笔"
            evidence["additional_rows"] = [
                _evidence(plan, m) for m in members[1:MAX_ADDITIONAL_ROWS]
            ]
            evidence["row_count"] = len(members)
        hits.append(
            Hit(
                model_id=spec.id,
                model_version=spec.version,
                subject_type=spec.subject.type,
                subject_id=subject_id,
                period=period,
                severity=lead[plan.severity],
                explanation=explanation,
                subject_name=lead[plan.subject_name],
                amount=amount,
                division_code=lead[plan.division],
                evidence=evidence,
            )
        )
    return hits, dropped
