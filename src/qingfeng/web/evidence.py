"""Turn a warning's evidence (JSON written by the engine) into tables a person can read.

The engine writes evidence as `{dataset: [row, ...]}`, as `{"rows": [...]}`, or as plain facts;
every shape becomes a list of titled tables. Fields that hold ID numbers are masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qingfeng.masking import birth_year, is_birth_key, mask_id

SENSITIVE_SUFFIXES = ("id_no", "account_no", "phone")


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
