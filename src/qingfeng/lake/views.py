"""DuckDB views over the published batches of the lake."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from qingfeng.lake.store import Lake

if TYPE_CHECKING:
    from qingfeng.dataspec import DatasetSpec
    from qingfeng.settings import Settings

# Lineage columns every standard table carries after its catalogue fields.
LINEAGE_COLUMNS: dict[str, str] = {"_batch_id": "VARCHAR", "_source_row": "BIGINT"}

QUARANTINE_COLUMNS: dict[str, str] = {
    "dataset": "VARCHAR",
    "_batch_id": "VARCHAR",
    "source": "VARCHAR",
    "source_row": "BIGINT",
    "rules": "VARCHAR",
    "original": "VARCHAR",
    # key_conflict / parent_conflict: each row's value of the columns that differ (JSON).
    "detail": "VARCHAR",
}
DUPLICATE_COLUMNS: dict[str, str] = {
    "dataset": "VARCHAR",
    "_batch_id": "VARCHAR",
    "source": "VARCHAR",
    "source_row": "BIGINT",
    "kept_row": "BIGINT",
}


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _empty_select(columns: dict[str, str]) -> str:
    cols = ", ".join(f"CAST(NULL AS {t}) AS {_quote_ident(n)}" for n, t in columns.items())
    return f"SELECT {cols} WHERE false"


def _derived_codes(con: duckdb.DuckDBPyConnection, scan: str, spec: DatasetSpec | None) -> str:
    """`scan`, with each vocabulary code the catalogue derives from another field filled in for
    rows whose batch was written before the field existed (computed from the kept wording)."""
    fields = [f for f in (spec.derived_fields if spec else []) if f.vocabulary]
    if not fields:
        return scan
    from qingfeng.dataspec.loader import vocabulary
    from qingfeng.normalise import vocab_sql_plain

    have = {str(r[0]) for r in con.execute(f"DESCRIBE {scan}").fetchall()}
    replace, add = [], []
    for f in fields:
        if f.derive_from not in have:
            continue
        code = vocab_sql_plain(vocabulary(str(f.vocabulary)), _quote_ident(str(f.derive_from)))
        if f.name in have:
            replace.append(f"coalesce({_quote_ident(f.name)}, {code}) AS {_quote_ident(f.name)}")
        else:
            add.append(f"{code} AS {_quote_ident(f.name)}")
    if not replace and not add:
        return scan
    star = "*" + (f" REPLACE ({', '.join(replace)})" if replace else "")
    return f"SELECT {', '.join([star, *add])} FROM ({scan})"


def _view(
    con: duckdb.DuckDBPyConnection,
    name: str,
    files: list[str],
    empty: dict[str, str],
    spec: DatasetSpec | None = None,
) -> None:
    if files:
        # The file list comes from the catalogue (our own paths), bound as a parameter-free
        # literal list: quote each path as a SQL string.
        paths = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
        sql = (
            f"SELECT * FROM read_parquet([{paths}], union_by_name = true, "
            "hive_partitioning = false)"
        )
        sql = _derived_codes(con, sql, spec)
    else:
        sql = _empty_select(empty)
    con.execute(f"CREATE OR REPLACE VIEW {_quote_ident(name)} AS {sql}")


def create_views(con: duckdb.DuckDBPyConnection, lake: Lake) -> dict[str, tuple[str, ...]]:
    """(Re)create one view per dataset of the catalogue and per published dataset; returns the
    Parquet files each view reads (none for an empty view)."""
    from qingfeng.dataspec import load_catalogue

    specs = load_catalogue()
    names = sorted(set(specs) | set(lake.datasets()))
    files: dict[str, tuple[str, ...]] = {}
    for name in names:
        spec = specs.get(name)
        empty = (
            {f.name: f.storage_type for f in spec.stored_fields} | LINEAGE_COLUMNS
            if spec
            else dict(LINEAGE_COLUMNS)
        )
        paths = lake.files(name)
        _view(con, name, paths, empty, spec)
        files[name] = tuple(str(p) for p in paths)
    for name, paths, columns in (
        ("quarantine", lake.quarantine_files(), QUARANTINE_COLUMNS),
        ("duplicates", lake.duplicate_files(), DUPLICATE_COLUMNS),
    ):
        _view(con, name, paths, columns)
        files[name] = tuple(str(p) for p in paths)
    return files


def connect(settings: Settings, *, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake's views and the qf_* normalisation macros."""
    return connect_with_files(settings, database=database)[0]


def connect_with_files(
    settings: Settings, *, database: str = ":memory:"
) -> tuple[duckdb.DuckDBPyConnection, dict[str, tuple[str, ...]]]:
    """`connect`, and the Parquet files each view reads (what the model engine reports as rows
    read, from the files' footers)."""
    from qingfeng.lake.location import lake_root
    from qingfeng.normalise import install_macros

    con = duckdb.connect(database)
    install_macros(con)
    root = lake_root(settings)
    root.register(con)
    files = create_views(con, Lake(root))
    return con, files
