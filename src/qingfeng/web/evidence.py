"""Turn a warning's evidence (JSON written by the engine) into tables a person can read.

The engine writes evidence as `{dataset: [row, ...]}`, as `{"rows": [...]}`, or as plain facts;
every shape becomes a list of titled tables. Fields that hold ID numbers are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qingfeng.masking import birth_year, is_birth_key, mask_id

SENSITIVE_SUFFIXES = ("id_no", "account_no", "phone")
_ACCOUNT = re.compile(r"\d{12,}")  # a bank account number inside a text


@dataclass(frozen=True)
class EvidenceTable:
    title: str
    columns: list[str]
    rows: list[list[Any]]


def _cell(column: str, value: Any, unmask: bool) -> Any:
    """The value as shown: masked when it is an identifier or a birth date, else as it is
    (the page labels codes, booleans and lists in the reader's language)."""
    if value is None:
        return ""
    if isinstance(value, bool | list | dict):
        return value
    text = str(value)
    if unmask:
        return text
    if column.endswith(SENSITIVE_SUFFIXES):
        return mask_id(text) or ""
    if column == "path":  # a money model's transfers name the accounts they reached
        return _ACCOUNT.sub(lambda m: mask_id(m.group()) or "", text)
    if is_birth_key(column):  # beside a masked ID a full birth date would rebuild it
        return birth_year(value)
    return text


def _table(title: str, rows: list[Any], unmask: bool) -> EvidenceTable:
    dict_rows = [r for r in rows if isinstance(r, dict)]
    columns: list[str] = []
    for row in dict_rows:
        columns.extend(k for k in row if k not in columns)
    body = [[_cell(c, row.get(c), unmask) for c in columns] for row in dict_rows]
    body.extend([[_cell("", r, unmask)] for r in rows if not isinstance(r, dict)])
    return EvidenceTable(title, columns or ["value"], body)


def evidence_tables(evidence: Any, unmask: bool = False) -> list[EvidenceTable]:
    if not evidence:
        return []
    if isinstance(evidence, list):
        return [_table("rows", evidence, unmask)]
    if not isinstance(evidence, dict):
        return [EvidenceTable("value", ["value"], [[str(evidence)]])]
    tables: list[EvidenceTable] = []
    facts: dict[str, Any] = {}
    for key, value in evidence.items():
        if isinstance(value, list):
            tables.append(_table(str(key), value, unmask))
        elif isinstance(value, dict):
            tables.append(_table(str(key), [value], unmask))
        else:
            facts[str(key)] = value
    if facts:
        tables.insert(0, _table("facts", [facts], unmask))
    return tables


# One transfer of a traced path as the money models write it: "2024-03-18 612.5元→6217…".
_TRANSFER = re.compile(r"(\d{4}-\d{2}-\d{2})\s+(-?\d[\d,]*(?:\.\d+)?)元→([^；;]+)")
MAX_PATHS = 30


def money_path_chart(
    tables: list[EvidenceTable], start: str, unmask: bool = False
) -> dict[str, Any] | None:
    """An ECharts path graph of the transfers in the evidence's `path` column (the money
    models': each hop's date, amount and receiving account), from the account that received
    the public payment (`start`). Accounts are masked unless `unmask`. None without a path."""
    paths: list[list[tuple[str, float, str]]] = []
    for table in tables:
        if "path" not in table.columns:
            continue
        i = table.columns.index("path")
        for row in table.rows:
            steps = [
                (d, float(a.replace(",", "")), acct.strip())
                for d, a, acct in _TRANSFER.findall(row[i] if i < len(row) else "")
            ]
            if steps:
                paths.append(steps)
    if not paths:
        return None
    nodes: dict[str, dict[str, Any]] = {start: {"name": start, "x": 0, "y": 0}}
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, float]] = set()
    for p, steps in enumerate(paths[:MAX_PATHS]):
        prev = start
        for hop, (day, amount, account) in enumerate(steps, start=1):
            name = account if unmask else (mask_id(account) or account)
            if name not in nodes:
                nodes[name] = {"name": name, "x": 220 * hop, "y": 70 * p}
            if (prev, name, day, amount) not in seen:
                seen.add((prev, name, day, amount))
                links.append(
                    {
                        "source": prev,
                        "target": name,
                        "value": amount,
                        "label": {"show": True, "formatter": f"{day}\n{amount:,.2f}元"},
                    }
                )
            prev = name
    return {
        "tooltip": {},
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "symbolSize": 14,
                "edgeSymbol": ["none", "arrow"],
                "edgeSymbolSize": 9,
                "label": {"show": True, "position": "bottom"},
                "edgeLabel": {"show": True, "fontSize": 11},
                "lineStyle": {"width": 2, "curveness": 0.1},
                "data": list(nodes.values()),
                "links": links,
            }
        ],
    }
