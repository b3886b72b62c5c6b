"""The relationship and kinship libraries on Spark (`qingfeng libraries build --engine spark`)
give the same rows as DuckDB's on the demo county, library by library."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.lake import connect
from qingfeng.operations.library_spark import SPARK_KINDS, expand_macros, spark_sql
from qingfeng.subject_library.build import LIBRARIES, build_libraries

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ON_SPARK = [s.name for s in LIBRARIES if s.kind in SPARK_KINDS]


def _pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PySpark is required under CI=true (pip install 'qingfeng[spark]')")
        pytest.skip("PySpark is not installed")


def _normalised(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """A SELECT of the file with list columns sorted and doubles rounded (what may differ only
    in order or in the last bit between engines)."""
    literal = "'" + str(path).replace("'", "''") + "'"
    cols = []
    for name, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {literal}").fetchall():
        ident = '"' + name + '"'
        if typ.endswith("[]"):
            cols.append(f"list_sort({ident}) AS {ident}")
        elif typ in ("DOUBLE", "FLOAT"):
            cols.append(f"round({ident}, 9) AS {ident}")
        else:
            cols.append(ident)
    return f"SELECT {', '.join(cols)} FROM {literal}"


def test_macros_expand_to_plain_sql() -> None:
    import sqlglot

    tree = expand_macros(sqlglot.parse_one("SELECT qf_person_key(id_no) FROM t", read="duckdb"))
    assert "qf_" not in tree.sql(dialect="duckdb")
    text = spark_sql("SELECT id_no FROM t WHERE qf_person_key(id_no)")
    assert "RLIKE '^(?:[0-9]{17}[0-9X])$'" in text and "TRY_TO_TIMESTAMP" in text


def test_relation_libraries_on_spark_match_duckdb(demo_county, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _pyspark()
    ws = demo_county.copy(tmp_path / "ws")
    built = ws.settings.lake_dir / "_libraries"
    result = CliRunner().invoke(
        app, ["libraries", "build", "--engine", "spark", "-w", str(ws.settings.workspace)]
    )
    assert result.exit_code == 0, result.output

    # DuckDB builds the same libraries from the same lake and the same subject libraries (the
    # files the Spark run read), into a folder of its own
    duck = tmp_path / "duckdb-libraries"
    lake = connect(ws.settings)
    for spec in LIBRARIES:
        if spec.kind not in SPARK_KINDS:
            path = "'" + str(built / f"{spec.name}.parquet").replace("'", "''") + "'"
            lake.execute(f"CREATE VIEW qf_lib_{spec.name} AS SELECT * FROM {path}")
    build_libraries(lake, duck, only=set(ON_SPARK))
    lake.close()

    con = duckdb.connect()
    compared = 0
    for name in ON_SPARK:
        a, b = duck / f"{name}.parquet", built / f"{name}.parquet"
        left, right = _normalised(con, a), _normalised(con, b)
        (rows,) = con.execute(f"SELECT count(*) FROM ({left})").fetchall()[0]
        assert con.execute(f"SELECT count(*) FROM ({right})").fetchall()[0][0] == rows, name
        only_duck = con.execute(f"SELECT * FROM ({left} EXCEPT ALL {right}) LIMIT 3").fetchall()
        only_spark = con.execute(f"SELECT * FROM ({right} EXCEPT ALL {left}) LIMIT 3").fetchall()
        assert (only_duck, only_spark) == ([], []), (name, only_duck, only_spark)
        compared += rows
    assert compared > 1000  # the demo county has households, kin, firms, bids and transfers
