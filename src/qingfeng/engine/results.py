"""Turn the result of a compiled model into `Hit` records: sentence filled, one per fingerprint.

This loops over hits (the model's output), never over input data, and works column by column:
evidence values are made JSON-safe per column (most arrive as text from SQL already), then one
loop generated for the model (`hits_loop`) makes each row's sentence (an f-string of the engine's
own text of each value, see `HitLayout`), evidence dict and `Hit` tuple. Rows that share a
fingerprint (same subject and period, e.g. two subsidies in one month) become one hit: the worst
severity, the summed amount, the leading row's evidence with the others under `additional_rows`.
"""

from __future__ import annotations

import ast
import datetime as dt
import gc
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from itertools import islice, repeat
from typing import Any

from qingfeng.engine.compiler import HIT_FIELDS, NULL_TEXT, CompiledModel, SentenceValue
from qingfeng.engine.engines.base import Columns
from qingfeng.hits import SEVERITIES, Hit

MAX_SENTENCES = 5
MAX_ADDITIONAL_ROWS = 50
# Widths of the warnings table's key columns (store.models.Warning; a test keeps them equal)
MAX_SUBJECT_ID = 64
MAX_PERIOD = 20
_NONE = type(None)


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
_AS_IS = frozenset({str, int, bool, _NONE})  # JSON-safe already
_SORTED_JSON = json.JSONEncoder(sort_keys=True)  # json.dumps(..., sort_keys=True), built once
_INFINITY = Decimal("Infinity")
_PERIOD = operator.itemgetter(4)  # Hit.period


def json_value(value: Any) -> Any:
    """A JSON-safe form of an evidence value."""
    if value is None:
        return None
    fmt = _JSON.get(type(value))
    return fmt(value) if fmt else str(value)


def json_column(values: Sequence[Any]) -> Sequence[Any]:
    """`json_value` of every value of one column; the column itself when nothing changes."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        return values
    if kinds <= {dt.date, _NONE}:  # dates repeat: format each distinct one once
        distinct = set(values)
        distinct.discard(None)
        text: dict[Any, Any] = {v: v.isoformat() for v in distinct}
        text[None] = None
        return list(map(text.__getitem__, values))
    if kinds == {Decimal}:
        return list(map(format, values, repeat("f")))
    if len(kinds - {_NONE}) == 1:  # one type (the usual case): one formatter, no lookups
        (kind,) = kinds - {_NONE}
        fmt = _JSON.get(kind, str)
        return [None if v is None else fmt(v) for v in values]
    return list(map(json_value, values))


def sql_text(value: Any) -> str:
    """The text DuckDB's CAST(value AS VARCHAR) gives for a Python value of the common types:
    only for a sentence value that type inference took for text and that is not."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# The loop that turns every row into a hit is generated per model as a Python syntax tree (never
# source text): the model's constants (id, sentence text, evidence keys) are constants of the
# code, so each row costs one f-string, one dict display and one tuple, with no lookups.
def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _value(index: int | str | None) -> ast.expr:
    """Row variable v<i>, or a constant."""
    return _load(f"v{index}") if isinstance(index, int) else ast.Constant(value=index)


@lru_cache(maxsize=512)
def hits_loop(
    width: int,
    constants: tuple[str, str, str],
    fields: tuple[int | str | None, ...],
    sentence: tuple[int | str, ...],
    evidence: tuple[tuple[str, int], ...],
) -> Callable[..., list[Hit]]:
    """A function of `width` columns c0, c1, ... returning one Hit per row:
    Hit(*constants, *fields, sentence, evidence) in Hit's field order, where `fields` are the
    columns (or constants) of subject id, period, severity, subject name, amount and division,
    `sentence` the sentence's pieces (constant text or column) and `evidence` (key, column)."""
    columns = [f"c{i}" for i in range(width)]
    row = ast.Tuple(elts=[ast.Name(id=f"v{i}", ctx=ast.Store()) for i in range(width)])
    row.ctx = ast.Store()
    pieces: list[ast.expr] = [
        ast.Constant(value=p)
        if isinstance(p, str)
        else ast.FormattedValue(value=_value(p), conversion=-1, format_spec=None)
        for p in sentence
    ]
    subject_id, period, severity, name, amount, division = fields
    values: list[ast.expr] = [ast.Constant(value=c) for c in constants]
    values += [_value(subject_id), _value(period), _value(severity)]
    values.append(ast.JoinedStr(values=pieces) if pieces else ast.Constant(value=""))
    values += [_value(name), _value(amount), _value(division)]
    values.append(
        ast.Dict(
            keys=[ast.Constant(value=key) for key, _ in evidence],
            values=[_value(index) for _, index in evidence],
        )
    )
    hit = ast.Call(
        func=_load("new"),
        args=[_load("Hit"), ast.Tuple(elts=values, ctx=ast.Load())],
        keywords=[],
    )
    loop = ast.ListComp(
        elt=hit,
        generators=[
            ast.comprehension(
                target=row,
                iter=ast.Call(func=_load("zip"), args=[_load(c) for c in columns], keywords=[]),
                ifs=[],
                is_async=0,
            )
        ],
    )
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=c) for c in columns],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    tree = ast.fix_missing_locations(ast.Expression(body=ast.Lambda(args=arguments, body=loop)))
    code = compile(tree, "<qingfeng hits>", "eval")
    function: Callable[..., list[Hit]] = eval(code, {"Hit": Hit, "new": tuple.__new__, "zip": zip})
    return function


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building hits: they are 10^3–10^5 new containers
    that hold no reference cycles, and the collector's passes over them (and over the rest of
    the heap) would cost more than building them. Reference counting still frees everything; the
    collector resumes after (unless someone else had paused it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rows_to_hits(
    compiled: CompiledModel, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[Hit], int]:
    """Hits sorted by subject and period, and the number of rows without a subject id."""
    values = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    return columns_to_hits(compiled, Columns(list(columns), values))


def columns_to_hits(compiled: CompiledModel, result: Columns) -> tuple[list[Hit], int]:
    """`rows_to_hits` for a result given column by column (what engines fetch fastest)."""
    with _no_gc():
        return _Hits(compiled, result).build()


class _Hits:
    """One run's result, column by column, on its way to hits."""

    def __init__(self, compiled: CompiledModel, result: Columns) -> None:
        names, columns = result.names, result.values
        self.text = result.text  # known to hold only str and None
        self.compiled = compiled
        self.spec = compiled.spec
        self.layout = compiled.layout
        self.position = {name: i for i, name in enumerate(names)}
        wanted = [HIT_FIELDS[f] for f in ("subject_id", "subject_name", "period", "division_code")]
        if self.layout.severity is None:
            wanted.append(HIT_FIELDS["severity"])
        if self.layout.amount:
            wanted.append(HIT_FIELDS["amount"])
        wanted += [v.column for v in self.layout.values if v.column is not None]
        wanted += list(compiled.carried)
        missing = [c for c in dict.fromkeys(wanted) if c not in self.position]
        if missing:
            raise ValueError(f"the query result lacks {missing}")
        self.columns = list(columns)
        self.n = len(self.columns[0]) if self.columns else 0

    def column(self, name: str) -> Sequence[Any]:
        return self.columns[self.position[name]]

    def keep(self, index: Sequence[int]) -> None:
        """Keep only the rows at `index`."""
        self.columns = [[col[i] for i in index] for col in self.columns]
        self.n = len(index)

    def build(self) -> tuple[list[Hit], int]:
        if not self.n:
            return [], 0
        spec = self.spec
        subject_ids = self.column(HIT_FIELDS["subject_id"])
        dropped = 0
        if not all(subject_ids):  # a NULL or empty subject id: the row is dropped
            self.keep([i for i, s in enumerate(subject_ids) if s])
            dropped = len(subject_ids) - self.n
            if not self.n:
                return [], dropped
            subject_ids = self.column(HIT_FIELDS["subject_id"])
        periods = self.column(HIT_FIELDS["period"])
        if None in periods:
            periods = [p or "" for p in periods]
        longest_id, longest_period = max(map(len, subject_ids)), max(map(len, periods))
        if longest_id > MAX_SUBJECT_ID or longest_period > MAX_PERIOD:
            raise ValueError(
                f"model {spec.id}: a subject id is at most {MAX_SUBJECT_ID} and a period at most "
                f"{MAX_PERIOD} characters (got {longest_id} and {longest_period}); "
                "shorten the `subject.id` or `period` expression"
            )
        hits = self.hits(subject_ids, periods)
        # Sorted by subject id (a string sort: three times faster than on (id, period) tuples),
        # then, within the runs of one subject, by period; a run of one subject and period is
        # one warning. Both sorts are stable and linear when the rows come in order.
        n = self.n
        order = sorted(range(n), key=subject_ids.__getitem__)
        if order != list(range(n)):
            hits = [hits[i] for i in order]
            subject_ids = [subject_ids[i] for i in order]
        same_subject = list(map(operator.eq, subject_ids, islice(subject_ids, 1, None)))
        if True not in same_subject:
            return hits, dropped
        out: list[Hit] = []
        done = 0  # hits[:done] are handled
        i = same_subject.index(True)
        while True:
            end = i + 1  # hits[i:end + 1] are one subject's
            while end < n - 1 and same_subject[end]:
                end += 1
            out.extend(hits[done:i])
            run = sorted(hits[i : end + 1], key=_PERIOD)
            first = 0
            for k in range(1, len(run) + 1):
                if k == len(run) or run[k][4] != run[first][4]:
                    out.append(run[first] if k - first == 1 else self.merged(run[first:k]))
                    first = k
            done = end + 1
            try:
                i = same_subject.index(True, done)
            except ValueError:
                break
        out.extend(hits[done:])
        return out, dropped

    def hits(self, subject_ids: Sequence[str], periods: Sequence[str]) -> list[Hit]:
        """Every row's hit, in one generated loop: sentence, evidence dict and tuple per row."""
        spec, layout = self.spec, self.layout
        slots: list[Sequence[Any]] = []
        seen: dict[int, int] = {}

        def slot(column: Sequence[Any]) -> int:
            if id(column) not in seen:
                seen[id(column)] = len(slots)
                slots.append(column)
            return seen[id(column)]

        fields: tuple[int | str | None, ...] = (
            slot(subject_ids),
            slot(periods),
            layout.severity
            if layout.severity is not None
            else slot(self.column(HIT_FIELDS["severity"])),
            slot(self.column(HIT_FIELDS["subject_name"])),
            slot(self.amounts()) if layout.amount else None,
            slot(self.column(HIT_FIELDS["division_code"])),
        )
        sentence: list[int | str] = []
        for text, value in zip(layout.literals, (*layout.values, None), strict=True):
            sentence.append(text)
            if value is not None:
                column = self.sentence_column(value)
                sentence.append(column if isinstance(column, str) else slot(column))
        pieces: list[int | str] = []  # adjacent texts joined into one constant
        for piece in sentence:
            if pieces and isinstance(piece, str) and isinstance(pieces[-1], str):
                pieces[-1] += piece
            elif piece != "":
                pieces.append(piece)
        evidence = tuple((name, slot(self.evidence_column(name))) for name in self.compiled.carried)
        loop = hits_loop(
            len(slots),
            (spec.id, spec.version, spec.subject.type),
            fields,
            tuple(pieces),
            evidence,
        )
        return loop(*slots)

    def sentence_column(self, value: SentenceValue) -> Sequence[str] | str:
        """One sentence value's text per row, or a constant text."""
        if value.column is None:
            return NULL_TEXT if value.constant is None else value.constant
        column = self.column(value.column)
        if (
            not value.exact
            and value.column not in self.text
            and not set(map(type, column)) <= {str, _NONE}
        ):
            column = [None if v is None else sql_text(v) for v in column]
        if None in column:
            column = [NULL_TEXT if v is None else v for v in column]
        return column

    def evidence_column(self, name: str) -> Sequence[Any]:
        column = self.column(name)
        return column if name in self.text else json_column(column)

    def amounts(self) -> Sequence[Decimal | None]:
        texts = self.column(HIT_FIELDS["amount"])
        if None in texts:
            return [None if t is None else Decimal(t) for t in texts]
        return list(map(Decimal, texts))

    @staticmethod
    def merged(members: list[Hit]) -> Hit:
        """One hit for several rows of the same subject and period: the worst severity, then the
        largest amount, then the smallest evidence (as sorted JSON) leads."""

        def rank(hit: Hit) -> tuple[Any, ...]:
            amount = hit.amount
            return (
                SEVERITIES.index(hit.severity),
                _INFINITY if amount is None else -amount,  # no amount: after every amount
                _SORTED_JSON.encode(hit.evidence),
            )

        members = sorted(members, key=rank)
        lead = members[0]
        amounts = [m.amount for m in members if m.amount is not None]
        sentences = list(dict.fromkeys(m.explanation for m in members))
        explanation = "；".join(sentences[:MAX_SENTENCES])
        if len(sentences) > MAX_SENTENCES:
            explanation += f"等，共{len(members)}笔"
        evidence = dict(lead.evidence)
        evidence["additional_rows"] = [m.evidence for m in members[1:MAX_ADDITIONAL_ROWS]]
        evidence["row_count"] = len(members)
        amount = sum(amounts, Decimal(0)) if amounts else None
        return tuple.__new__(Hit, (*lead[:6], explanation, lead[7], amount, lead[9], evidence))
