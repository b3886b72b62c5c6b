"""Which of two date (or amount) columns comes first in a row: the values tell them apart.

The catalogue says which date or time of a dataset precedes which on the same row (`before:`:
an admission precedes its discharge, an issue date the expiry, a tender's announcement its
deadline), and which amount never exceeds which (`at_most:`: the fund pays part of the total).
Headers often do not tell the two apart (two columns headed 就诊日期一 / 就诊日期二), and a
matcher that reads them the wrong way round puts each on the other's field. The sampled rows
settle it: when the two columns' values run the other way in most rows that carry both, the
columns are swapped.
"""

from __future__ import annotations

from qingfeng.dataspec import FieldSpec
from qingfeng.ingest.profile import ColumnProfile

MIN_ROWS = 3  # rows that carry both values, at least, before the order counts
SHARE = 0.8  # of those rows, the share that must run the other way (real pairs are
# ordered in nearly every row; two unrelated columns split about evenly)


def row_order(first: ColumnProfile, second: ColumnProfile) -> tuple[int, int]:
    """(rows where `first` is earlier or smaller, rows where it is later or larger), over rows
    carrying both."""
    earlier = later = 0
    for r, t in first.row_values.items():
        u = second.row_values.get(r)
        if u is None or u == t:
            continue
        if t < u:
            earlier += 1
        else:
            later += 1
    return earlier, later


def order_violations(
    fields: list[FieldSpec],
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    pairs: list[tuple[int, int]],
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Assigned (column, field) pairs to swap, two by two: the column on a field that the
    catalogue puts first (or below) holds, in most rows, the later (larger) values of the two."""
    on_field = {j: i for i, j in pairs}
    index = {f.name: j for j, f in enumerate(fields)}
    used: set[int] = set()
    swaps = []
    for j, f in enumerate(fields):
        k = index.get(f.before or f.at_most or "")
        if k is None or j not in on_field or k not in on_field:
            continue
        a, b = on_field[j], on_field[k]
        if a in used or b in used:
            continue
        pa, pb = profiles.get(headers[a]), profiles.get(headers[b])
        if pa is None or pb is None:
            continue
        earlier, later = row_order(pa, pb)
        if later >= MIN_ROWS and later >= SHARE * (earlier + later):
            swaps.append(((a, j), (b, k)))
            used |= {a, b}
    return swaps
