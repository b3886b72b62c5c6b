"""Turn the rows of a compiled model into `Hit` records: explanation filled, one per fingerprint.

This loops over hits (the model's output), never over input data. Rows that share a fingerprint
(same subject and period, e.g. two subsidies in one month) become one hit: the worst severity, the
summed amount, the leading row's evidence with the others under `additional_rows`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from qingfeng.engine.compiler import HIT_FIELDS, CompiledModel, explanation_fields
from qingfeng.hits import SEVERITIES, Hit, fingerprint

MAX_SENTENCES = 5
MAX_ADDITIONAL_ROWS = 50
# Widths of the warnings table's key columns (store.models.Warning; a test keeps them equal)
MAX_SUBJECT_ID = 64
MAX_PERIOD = 20


def format_value(value: Any) -> str:
    """How a value reads in an explanation sentence (identical for every engine)."""
    if value is None:
        return "（空）"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def json_value(value: Any) -> Any:
    """A JSON-safe form of an evidence value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value else None  # NaN is not JSON
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class _Row:
    __slots__ = ("amount", "division", "evidence", "name", "sentence", "severity")

    def __init__(self, compiled: CompiledModel, row: dict[str, Any], names: list[str]) -> None:
        spec = compiled.spec
        values = {c: row.get(c) for c in compiled.carried}
        for key, column in HIT_FIELDS.items():
            values.setdefault(key, row.get(column))
        self.sentence = spec.explanation.format_map({n: format_value(values.get(n)) for n in names})
        self.severity: str = row[HIT_FIELDS["severity"]]
        self.amount: Decimal | None = row[HIT_FIELDS["amount"]]
        self.name: str | None = row[HIT_FIELDS["subject_name"]]
        self.division: str | None = row[HIT_FIELDS["division_code"]]
        self.evidence = {c: json_value(row.get(c)) for c in spec.evidence}

    def sort_key(self) -> tuple[Any, ...]:
        amount = self.amount if self.amount is not None else Decimal("-Infinity")
        return (SEVERITIES.index(self.severity), -amount, json.dumps(self.evidence, sort_keys=True))


def rows_to_hits(compiled: CompiledModel, rows: list[dict[str, Any]]) -> tuple[list[Hit], int]:
    """Hits sorted by fingerprint, and the number of rows without a subject id (no warning)."""
    spec = compiled.spec
    names = explanation_fields(spec.explanation)
    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    dropped = 0
    for row in rows:
        subject_id = row[HIT_FIELDS["subject_id"]]
        if subject_id is None or subject_id == "":
            dropped += 1
            continue
        period = row[HIT_FIELDS["period"]] or ""
        if len(subject_id) > MAX_SUBJECT_ID or len(period) > MAX_PERIOD:
            raise ValueError(
                f"model {spec.id}: a subject id is at most {MAX_SUBJECT_ID} and a period at most "
                f"{MAX_PERIOD} characters (got {len(subject_id)} and {len(period)}); "
                "shorten the `subject.id` or `period` expression"
            )
        groups[(subject_id, period)].append(_Row(compiled, row, names))

    hits = []
    for (subject_id, period), members in groups.items():
        members.sort(key=_Row.sort_key)
        lead = members[0]
        amounts = [m.amount for m in members if m.amount is not None]
        evidence = dict(lead.evidence)
        sentences = list(dict.fromkeys(m.sentence for m in members))
        explanation = "；".join(sentences[:MAX_SENTENCES])
        if len(members) > 1:
            evidence["additional_rows"] = [m.evidence for m in members[1:MAX_ADDITIONAL_ROWS]]
            evidence["row_count"] = len(members)
            if len(sentences) > MAX_SENTENCES:
                explanation += f"等，共{len(members)}笔"
        hits.append(
            Hit(
                model_id=spec.id,
                model_version=spec.version,
                subject_type=spec.subject.type,
                subject_id=subject_id,
                period=period,
                severity=lead.severity,
                explanation=explanation,
                subject_name=lead.name,
                amount=sum(amounts, Decimal(0)) if amounts else None,
                division_code=lead.division,
                evidence=evidence,
            )
        )
    hits.sort(key=lambda h: fingerprint(h.model_id, h.subject_type, h.subject_id, h.period))
    return hits, dropped
