"""Normalised candidate values without a query, for the small requests a paying system sends.

Normalising a candidate in DuckDB costs tens of milliseconds whatever the number of rows: the
layered query (every qf_* macro expanded) is bound and optimised on every execution. A single
candidate's values, though, are mostly ones seen before (the benefit, the period, the amount,
the village) or already in their canonical form (an 18-digit ID number with its check digit
right, a name of simplified Chinese characters, an upper-case code). So:

- every value the query normalises is remembered, keyed by the raw inputs it depends on (its
  own text; the wording a code is derived from; the pay date a period falls back to; the day of
  screening), with the rule it broke;
- a value already canonical is taken as it is, by the same test the query's fast path makes,
  for the types where that test decides alone (ID numbers, names, codes without extra rules).

A request whose every value is known this way skips the query; any other goes through it and
teaches the memo. `tests/test_screening_memo.py` checks both paths give the same rows.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from typing import Any

from qingfeng.dataspec.model import DatasetSpec, FieldSpec

_ID = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Simplified Chinese characters of the basic block only: a subset of the query's \p{Han}.
_NAME = re.compile(r"[\u4e00-\u9fff]+")
_CODE = re.compile(r"[0-9A-Z._/#-]*[0-9][0-9A-Z._/#-]*")

MISS = object()


def _id_canonical(value: str, today: dt.date) -> bool:
    """An 18-character ID number the query keeps as it is with no rule broken."""
    if not _ID.fullmatch(value):
        return False
    birth = value[6:14]
    if not ("18800101" <= birth <= today.strftime("%Y%m%d")):
        return False
    try:
        dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def fast_path(field: FieldSpec, traditional: Any) -> Any:
    """A test `(text, today) -> bool` that the text is already canonical for this field, or
    None when the field has none (a value range, a pattern: the query decides)."""
    if field.pattern is not None or field.min is not None or field.max is not None:
        return None
    if field.derive_from or field.vocabulary is not None:
        return None
    if field.type == "id_no":
        return _id_canonical
    if field.type == "name":
        return lambda text, today: bool(_NAME.fullmatch(text)) and not traditional(text)
    if field.type == "code":
        return lambda text, today: bool(_CODE.fullmatch(text))
    return None


class ValueMemo:
    """Normalised values of one dataset's fields: (field, raw inputs) -> (value, rule broken),
    for one day of screening (the day is an input of dates and periods left blank)."""

    def __init__(self, spec: DatasetSpec, traditional: Any, limit: int = 200_000) -> None:
        self.spec = spec
        self.limit = limit
        self._lock = threading.Lock()  # one memo serves every thread of a screener
        self.day: dt.date | None = None
        self.values: OrderedDict[tuple[str, tuple[Any, ...]], tuple[Any, str | None]] = (
            OrderedDict()
        )
        self.deps: dict[str, tuple[str, ...]] = {}
        self.fast: dict[str, Any] = {}
        for f in spec.stored_fields:
            deps = [f.name]
            if f.derive_from:
                deps.append(f.derive_from)
            src = spec.field(f.derive_from) if f.derive_from else None
            if f.type == "period" and src is not None and src.type in ("date", "timestamp"):
                deps.append(src.name)  # the month of the pay date when the period is blank
            self.deps[f.name] = tuple(deps)
            test = fast_path(f, traditional) if len(deps) == 1 else None
            if test is not None and f.name != spec.timeliness_field:
                self.fast[f.name] = test

    def _key(self, name: str, row: dict[str, str | None]) -> tuple[Any, ...]:
        return tuple(row.get(d) for d in self.deps[name])

    def _today(self, today: dt.date) -> None:
        if today != self.day:
            self.values.clear()
            self.day = today

    def lookup(
        self, rows: list[tuple[int, int, dict[str, str | None]]], today: dt.date
    ) -> list[list[tuple[Any, str | None]]] | None:
        """Per row, per stored field, the normalised value and the rule it broke; None as soon
        as one value is neither remembered nor canonical."""
        self._today(today)
        out: list[list[tuple[Any, str | None]]] = []
        for _, _, row in rows:
            resolved: list[tuple[Any, str | None]] = []
            for f in self.spec.stored_fields:
                raw = row.get(f.name)
                test = self.fast.get(f.name)
                if raw is not None and test is not None and test(raw, today):
                    resolved.append((raw, None))
                    continue
                hit = self.values.get((f.name, self._key(f.name, row)), MISS)
                if hit is MISS:
                    return None
                resolved.append(hit)  # type: ignore[arg-type]  # a (value, rule) pair
            out.append(resolved)
        return out

    def learn(
        self,
        rows: list[tuple[int, int, dict[str, str | None]]],
        normalised: dict[int, tuple[list[Any], list[str]]],
        today: dt.date,
    ) -> None:
        """Remember each row's normalised values (`normalised`: ref -> (values in field
        order, the query's problems 'field:rule'))."""
        with self._lock:
            self._learn(rows, normalised, today)

    def _learn(
        self,
        rows: list[tuple[int, int, dict[str, str | None]]],
        normalised: dict[int, tuple[list[Any], list[str]]],
        today: dt.date,
    ) -> None:
        self._today(today)
        names = [f.name for f in self.spec.stored_fields]
        for ref, _, row in rows:
            got = normalised.get(ref)
            if got is None:
                continue
            values, problems = got
            broken = dict(str(p).partition(":")[::2] for p in problems)
            for name, value in zip(names, values, strict=True):
                self.values[(name, self._key(name, row))] = (value, broken.get(name))
        while len(self.values) > self.limit:
            self.values.popitem(last=False)
