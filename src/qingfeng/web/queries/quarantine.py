"""The quarantine browser: rows an ingest batch rejected, with the rule they broke and their
original values (personal values masked), read from the batch's Parquet files with DuckDB.

File paths come only from the lake's catalogue entry for the batch, never from the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingfeng.masking import birth_year, is_birth_key, mask_id, mask_name, mask_text
from qingfeng.settings import Settings

PAGE = 50
_NAME_HINTS = ("姓名", "名称", "name")


class QuarantineError(LookupError):
    """The batch is unknown or its files cannot be read; the message says which."""


@dataclass(frozen=True)
class QuarantineRow:
    source_row: int
    rules: list[str]
    original: dict[str, str]


@dataclass(frozen=True)
class QuarantinePage:
    batch_id: str
    dataset: str
    source: str
    rule_counts: list[tuple[str, int]]
    rows: list[QuarantineRow]
    total: int
    page: int
    rule: str

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE))


def _batch_files(settings: Settings, batch_id: str) -> tuple[dict[str, Any], list[str]]:
    from qingfeng.lake.location import lake_root

    root = lake_root(settings)
    catalogue = root.uri("_catalogue.json")
    try:
        data = json.loads((root.read_bytes("_catalogue.json") or b"{}").decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise QuarantineError(f"{catalogue}: {exc}") from None
    batch = next((b for b in data.get("batches", []) if b.get("batch_id") == batch_id), None)
    if batch is None:
        raise QuarantineError(f"no published batch {batch_id!r}")
    files = []
    for name in batch.get("quarantine_files") or []:
        if root.is_local:
            lake = Path(root.base).resolve()
            path = (lake / name).resolve()
            ok = lake in path.parents and path.is_file()
            uri = str(path)
        else:
            ok = ".." not in str(name).split("/") and root.exists(str(name))
            uri = root.uri(str(name))
        if not ok:
            raise QuarantineError(f"batch {batch_id}: quarantine file {name!r} is missing")
        files.append(uri)
    return batch, files


def _mask_original(raw: str) -> dict[str, str]:
    try:
        values = json.loads(raw)
    except ValueError:
        return {"original": mask_text(raw)}
    out = {}
    for key, value in values.items() if isinstance(values, dict) else []:
        text = "" if value is None else str(value)
        if is_birth_key(str(key)):
            out[str(key)] = birth_year(text)
        elif any(h in str(key) for h in _NAME_HINTS):
            out[str(key)] = mask_name(text) or ""
        elif text.strip().isalnum() and len(text.strip()) >= 15:
            out[str(key)] = mask_id(text.strip())
        else:
            out[str(key)] = mask_text(text)
    return out


def quarantine_page(
    settings: Settings, batch_id: str, rule: str = "", page: int = 1
) -> QuarantinePage:
    import duckdb

    batch, files = _batch_files(settings, batch_id)
    if not files:
        return QuarantinePage(
            batch_id,
            str(batch.get("dataset", "")),
            str(batch.get("source", "")),
            [],
            [],
            0,
            1,
            rule,
        )
    con = duckdb.connect()
    from qingfeng.lake.location import lake_root

    lake_root(settings).register(con)
    try:
        paths = [str(p) for p in files]
        counts = con.execute(
            "SELECT r, count(*) FROM (SELECT unnest(string_split(rules, ';')) AS r "
            "FROM read_parquet($files)) GROUP BY r ORDER BY count(*) DESC, r",
            {"files": paths},
        ).fetchall()
        where = "WHERE list_contains(string_split(rules, ';'), $rule)" if rule else ""
        params: dict[str, Any] = {"files": paths}
        if rule:
            params["rule"] = rule
        total = con.execute(f"SELECT count(*) FROM read_parquet($files) {where}", params).fetchone()
        rows = con.execute(
            f"SELECT source_row, rules, original FROM read_parquet($files) {where} "
            "ORDER BY source_row LIMIT $limit OFFSET $offset",
            {**params, "limit": PAGE, "offset": (page - 1) * PAGE},
        ).fetchall()
    except duckdb.Error as exc:
        raise QuarantineError(
            f"batch {batch_id}: cannot read its quarantine files: {exc}"
        ) from None
    finally:
        con.close()
    return QuarantinePage(
        batch_id,
        str(batch.get("dataset", "")),
        str(batch.get("source", "")),
        [(str(r), int(n)) for r, n in counts],
        [
            QuarantineRow(int(n), str(rules).split(";"), _mask_original(str(orig)))
            for n, rules, orig in rows
        ],
        int(total[0]) if total else 0,
        page,
        rule,
    )
