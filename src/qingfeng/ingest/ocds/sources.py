"""Compiled OCDS releases → one ingest source per procurement dataset, flattened in DuckDB."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from qingfeng.ingest.ocds.packages import Compiled, OcdsError, compile_file
from qingfeng.ingest.readers import SourceTable, sql_str

# Landing order: a tender before the rows that refer to it.
DATASETS = ("tenders", "lots", "bids", "awards", "contracts", "parties", "items")


@dataclass
class OcdsSources:
    compiled: Compiled
    sources: list[tuple[str, SourceTable]]  # (dataset id, its flattened table)

    def summary(self) -> str:
        c = self.compiled
        return (
            f"OCDS：{c.packages} 个包、{c.records_read} 个记录、{c.releases_read} 个发布 → "
            f"{len(c.releases)} 个采购过程 / {c.packages} packages, {c.records_read} records, "
            f"{c.releases_read} releases → {len(c.releases)} contracting processes"
        )


def read_ocds(path: Path, con: duckdb.DuckDBPyConnection, staging: Path) -> OcdsSources:
    compiled = compile_file(path)
    if not compiled.releases:
        raise OcdsError(path.name, "没有任何发布 / the packages hold no releases")
    staging.mkdir(parents=True, exist_ok=True)
    lines = staging / "ocds-compiled.jsonl"
    with open(lines, "w", encoding="utf-8") as fh:
        for rel in compiled.releases:
            fh.write(json.dumps(rel, ensure_ascii=False, default=str) + "\n")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ocds_rel AS SELECT row_number() OVER () AS n, json AS j "
        f"FROM read_json_objects({sql_str(str(lines))}, format = 'newline_delimited')"
    )
    sql = (resources.files("qingfeng.ingest.ocds") / "flatten.sql").read_text(encoding="utf-8")
    for statement in _statements(sql):
        con.execute(statement)
    sources = []
    for dataset in DATASETS:
        table = f"ocds_{dataset}"
        headers = [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "n"]
        # Row numbers fixed once: the header is row 1 of the flattened table.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table}_rows AS "
            f"SELECT *, CAST(row_number() OVER () + 1 AS BIGINT) AS __row FROM {table}"
        )
        cols = ", ".join(f"CAST({h} AS VARCHAR) AS c{i}" for i, h in enumerate(headers))
        relation = f"(SELECT {cols}, __row FROM {table}_rows)"
        sample = [
            ["" if v is None else str(v) for v in r[:-1]]
            for r in con.execute(f"SELECT * FROM {relation} LIMIT 100").fetchall()
        ]
        sources.append(
            (
                dataset,
                SourceTable(
                    path=path,
                    name=f"{path.name}#{dataset}",
                    kind="ocds",
                    headers=headers,
                    relation=relation,
                    sample=sample,
                ),
            )
        )
    return OcdsSources(compiled=compiled, sources=sources)


def _statements(sql: str) -> list[str]:
    body = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]
