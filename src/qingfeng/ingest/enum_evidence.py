"""Enum wordings no spelling or code table names, settled by the evidence of the column.

Departments write their own words for the same states (a registry's "living resident", a
certificate "in force"). When neither a catalogue spelling nor a national code names a
wording, the whole column is read once (one GROUP BY over its distinct values) and three
kinds of evidence are weighed, strongest first; a wording none of them settles stays unknown
(`unknown_code`, or the field's `fallback`):

1. **shared wording**: the wording holds a spelling of exactly one value (普通住院费用 holds 住院),
   not after a negation (吊销未注销 is not 注销), or, failing that, shares a run of at least
   two characters and more than half a spelling with the spellings of exactly one value,
   longer than with any other (商品住 ~ 商品住宅);
2. **implied by another column** (`implied_by` in the catalogue: a registry's `deceased` is
   marked by its death date): the wording whose rows fill that column (≥ 90%) while the rows
   of every other wording leave it empty (≤ 10%);
   and, the other way round (`implied_by_empty`: a ticket still in hand has no reply yet),
   the wording whose rows leave that column empty (≥ 90%) while the rows of every other
   wording fill it (≥ 90%);
3. **the usual value** (`usual`: a registry's rows are mostly living residents): the most
   frequent wording of the column, on at least half of its rows, when no wording of the
   column is already that value.

The wordings settled, with the rule that settled each, are reported by the ingest
(`inferred_values`); a person who disagrees writes the value in the mapping's place of that
wording or in the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qingfeng.dataspec.model import FieldSpec, fold_value

MAX_WORDINGS = 60  # more distinct wordings than this: not a vocabulary, nothing inferred
IMPLIED_MIN = 0.9  # rows of the wording that fill the implying column
IMPLIED_OTHERS_MAX = 0.1  # rows of every other wording that fill it
USUAL_MIN = 0.5  # share of the column's rows the most frequent wording must have
_NEGATIONS = ("未", "不", "非", "没", "无")


@dataclass(frozen=True)
class Wording:
    key: str  # the folded wording (as enum values are compared)
    rows: int
    filled: dict[str, int]  # implying field -> rows of this wording that fill it
    known: bool  # a spelling or a code already names it


def wordings_query(
    field: FieldSpec, raw: str, implying: dict[str, str], known_sql: str, table: str
) -> str:
    """One query over the whole column: each folded wording, its rows, how many of them fill
    each implying column, and whether the catalogue already names it."""
    key = f"lower(replace(qf_hw(trim({raw})), ' ', ''))"
    filled = "".join(
        f", count(*) FILTER (WHERE nullif(trim({expr}), '') IS NOT NULL) AS \"f_{name}\""
        for name, expr in implying.items()
    )
    known = known_sql.replace("{x}", "k")
    counts = "".join(f', "f_{name}"' for name in implying)
    return (
        f"SELECT k, n, ({known}) IS NOT NULL AS known{counts} "
        f"FROM (SELECT {key} AS k, count(*) AS n{filled} FROM {table} "
        f"WHERE nullif(trim({raw}), '') IS NOT NULL GROUP BY k) "
        f"ORDER BY n DESC, k LIMIT {MAX_WORDINGS + 1}"
    )


def read_wordings(
    con: duckdb.DuckDBPyConnection,
    field: FieldSpec,
    raw: str,
    implying: dict[str, str],
    known_sql: str,
    table: str,
) -> list[Wording]:
    rows = con.execute(wordings_query(field, raw, implying, known_sql, table)).fetchall()
    names = list(implying)
    return [
        Wording(str(r[0]), int(r[1]), dict(zip(names, map(int, r[3:]), strict=True)), bool(r[2]))
        for r in rows
    ]


def infer_values(field: FieldSpec, wordings: list[Wording]) -> dict[str, tuple[str, str]]:
    """folded wording -> (canonical value, rule) for the unknown wordings the evidence settles."""
    if not field.values or len(wordings) > MAX_WORDINGS:
        return {}
    unknown = [w for w in wordings if not w.known]
    if not unknown:
        return {}
    out: dict[str, tuple[str, str]] = {}
    spellings = spelling_sets(field)
    for w in unknown:
        got = shared_wording(w.key, spellings, field.fallback)
        if got is not None:
            out[w.key] = got
    total = sum(w.rows for w in wordings)
    for value, other in field.implied_by.items():
        left = [w for w in unknown if w.key not in out]
        marked = [w for w in left if w.rows and w.filled.get(other, 0) >= IMPLIED_MIN * w.rows]
        rest = [w for w in wordings if w not in marked]
        if len(marked) == 1 and all(
            w.filled.get(other, 0) <= IMPLIED_OTHERS_MAX * w.rows for w in rest
        ):
            out[marked[0].key] = (value, f"implied_by:{other}")
    for value, other in field.implied_by_empty.items():
        if other not in (wordings[0].filled if wordings else {}):
            continue  # no column for the field: nothing to read
        left = [w for w in unknown if w.key not in out]
        marked = [w for w in left if w.filled.get(other, 0) <= IMPLIED_OTHERS_MAX * w.rows]
        rest = [w for w in wordings if w not in marked]
        if (
            len(marked) == 1
            and rest
            and all(w.filled.get(other, 0) >= IMPLIED_MIN * w.rows for w in rest)
        ):
            out[marked[0].key] = (value, f"implied_by_empty:{other}")
    if field.usual is not None and total:
        top = wordings[0]
        taken = any(
            (not w.known and out.get(w.key, ("",))[0] == field.usual)
            or (w.known and w.key in spellings.get(field.usual, set()))
            for w in wordings
        )
        if not top.known and top.key not in out and not taken and top.rows >= USUAL_MIN * total:
            out[top.key] = (field.usual, "usual")
    return out


def spelling_sets(field: FieldSpec) -> dict[str, set[str]]:
    """value -> its folded spellings (and the value itself)."""
    return {
        canon: {fold_value(s) for s in [canon, *sp] if s}
        for canon, sp in (field.values or {}).items()
    }


def shared_wording(
    key: str, spellings: dict[str, set[str]], fallback: str | None
) -> tuple[str, str] | None:
    """The one value whose spelling the wording holds (else shares the longest run with)."""
    held: dict[str, int] = {}
    for canon, words in spellings.items():
        if canon == fallback:
            continue  # "other" says nothing about a wording
        for s in words:
            at = key.find(s)
            if len(s) >= 2 and at >= 0 and not key[:at].endswith(_NEGATIONS):
                held[canon] = max(held.get(canon, 0), len(s))
    best = _unique_best(held)
    if best is not None:
        return best, "holds"
    # A run counts when it is at least two characters and more than half the spelling (用房
    # is a common ending, not the meaning of 经济适用房; 死亡 is half of 死亡注销).
    runs = {
        canon: max(
            (n for s in words if (n := _common_run(key, s)) >= 2 and 2 * n > len(s)),
            default=0,
        )
        for canon, words in spellings.items()
        if canon != fallback
    }
    runs = {c: n for c, n in runs.items() if n}
    best = _unique_best(runs)
    return (best, "shares") if best is not None else None


def _unique_best(scores: dict[str, int]) -> str | None:
    if not scores:
        return None
    top = max(scores.values())
    winners = [c for c, n in scores.items() if n == top]
    return winners[0] if len(winners) == 1 else None


def _common_run(a: str, b: str) -> int:
    """Length of the longest run of characters the two strings share."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best
