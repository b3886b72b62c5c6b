"""Spark: the parity test (every built-in model gives identical hits on DuckDB and Spark) and
the known traps between the two engines. One SparkSession serves the whole test session."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zlib
from decimal import Decimal
from typing import Any

import pytest

from built_in_models import MODEL_IDS, built_in_models
from qingfeng.engine import DuckDBEngine, compile_model, parse_model_text
from qingfeng.engine.testing import run_cases, run_inline

pytestmark = [pytest.mark.spark, pytest.mark.slow]  # a JVM, and every model on it


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("PySpark is required under CI=true (pip install 'qingfeng[spark]')")
        pytest.skip("PySpark is not installed")
    from qingfeng.engine.engines.spark_engine import SparkEngine

    return SparkEngine.shared()  # one JVM per test session, reused by every module


def _vary(tables: dict[str, list[dict[str, Any]]], copies: int) -> dict[str, list[dict[str, Any]]]:
    """More rows from a model's test case: codes get a copy suffix (consistently across tables,
    so joins still join), dates shift per column (so before/after relations change), amounts
    scale. Deterministic."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, rows in tables.items():
        out[name] = []
        for k in range(copies):
            for row in rows:
                new = {}
                for column, value in row.items():
                    shift = (zlib.crc32(column.encode()) % 3 - 1) * k * 11
                    if isinstance(value, str) and any(ch.isdigit() for ch in value):
                        new[column] = f"{value}#{k}" if k else value
                    elif isinstance(value, dt.date):
                        new[column] = value + dt.timedelta(days=shift)
                    elif isinstance(value, float):
                        new[column] = round(value * (1 + k % 4), 2)
                    else:
                        new[column] = value
                out[name].append(new)
    return out


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_parity_every_model_gives_identical_hits(spark, model_id: str) -> None:  # type: ignore[no-untyped-def]
    spec = built_in_models().get(model_id)
    assert [r for r in run_cases(spec, lambda: spark) if not r.passed] == []
    tables: dict[str, list[dict[str, Any]]] = {}
    for case in spec.tests:  # all cases' rows together, then varied
        for name, rows in case.tables.items():
            tables.setdefault(name, []).extend(rows)
    tables = _vary(tables, copies=6)
    on_duckdb = run_inline(spec, tables)
    on_spark = run_inline(spec, tables, engine=spark)
    assert on_duckdb, "the parity data should produce hits"
    assert on_spark == on_duckdb


TRAPS = """\
id: traps
version: "1.0"
name: {zh: 方言陷阱}
field: 其他
description: 在两个引擎上结果必须一致的写法。
legal_basis: [{document: 无}]
inputs: [household_registry]
logic:
  sql: |
    SELECT
      id_no, name,
      id_no[1:6] AS region,
      id_no[7:14] AS birth,
      LENGTH(name) AS name_len,
      SUBSTRING(name, 2, 2) AS given,
      UPPER(id_no) AS upper_id,
      try_strptime(address, '%Y%m%d') AS parsed,
      CAST(try_strptime(address, '%Y-%m-%d') AS DATE) AS parsed_day,
      TRY_CAST(phone AS BIGINT) AS phone_no,
      regexp_matches(name, '^王') AS is_wang,
      strftime(birth_date, '%Y-%m') AS birth_month,
      date_diff('day', birth_date, DATE '2024-01-01') AS days_to_2024,
      TRIM(status) AS status
    FROM household_registry
subject: {type: person, id: id_no, name: name}
period: "'all'"
severity: [{level: blue}]
evidence: [region, birth, name_len, given, upper_id, parsed, parsed_day, phone_no, is_wang,
           birth_month, days_to_2024, status]
explanation: "{subject_name}"
"""

TRAP_ROWS = {
    "household_registry": [
        {
            "id_no": "11010119500101001x",
            "name": "王小明",
            "address": "20240131",
            "phone": "13800000000",
            "birth_date": dt.date(1950, 1, 1),
            "status": "  正常 ",
        },
        {
            "id_no": "110101196002020022",
            "name": "欧阳娜娜",
            "address": "2024-02-30",  # not a date: NULL on both engines, no error on Spark
            "phone": "not a number",
            "birth_date": dt.date(1960, 2, 2),
            "status": "迁出",
        },
        {
            "id_no": "110101197003030033",
            "name": "李四",
            "address": "2024-03-01",
            "phone": None,
            "birth_date": dt.date(1970, 3, 3),
            "status": None,
        },
    ]
}


def test_known_traps_agree_on_both_engines(spark) -> None:  # type: ignore[no-untyped-def]
    spec = parse_model_text(TRAPS, "traps.yaml")
    on_duckdb = run_inline(spec, TRAP_ROWS, engine=DuckDBEngine())
    on_spark = run_inline(spec, TRAP_ROWS, engine=spark)
    assert on_spark == on_duckdb
    by_name = {h.subject_name: h.evidence for h in on_duckdb}
    wang = by_name["王小明"]
    assert (wang["region"], wang["birth"], wang["name_len"], wang["given"]) == (
        "110101",
        "19500101",
        3,
        "小明",
    )
    assert wang["upper_id"] == "11010119500101001X"
    assert wang["parsed"] == "2024-01-31T00:00:00" and wang["is_wang"] is True
    assert wang["birth_month"] == "1950-01" and wang["status"] == "正常"
    assert wang["days_to_2024"] == (dt.date(2024, 1, 1) - dt.date(1950, 1, 1)).days
    bad = by_name["欧阳娜娜"]
    assert bad["parsed_day"] is None and bad["phone_no"] is None and bad["name_len"] == 4
    assert by_name["李四"]["parsed_day"] == "2024-03-01"


def test_spark_sql_renders_the_overrides() -> None:
    sql = compile_model(parse_model_text(TRAPS, "traps.yaml")).sql("spark")
    assert "[1:6]" not in sql and "SUBSTRING(id_no, 1, 6 - 1 + 1)" in sql
    assert "TRY_TO_TIMESTAMP(address, 'yyyyMMdd')" in sql
    assert "TRY_STRPTIME" not in sql
    duck = compile_model(parse_model_text(TRAPS, "traps.yaml")).sql("duckdb")
    assert "TRY_STRPTIME(address, '%Y%m%d')" in duck


def test_decimal_amounts_survive_both_engines(spark) -> None:  # type: ignore[no-untyped-def]
    spec = built_in_models().get("subsidy_after_death")
    tables = spec.tests[0].tables
    hits = run_inline(spec, tables, engine=spark)
    assert {h.amount for h in hits} == {Decimal("200.00"), Decimal("1200.00")}


def test_spark_runs_over_an_empty_lake(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("qingfeng.lake")
    from qingfeng.engine.engines.spark_engine import SparkEngine
    from qingfeng.operations.model_runs import run_models
    from qingfeng.workspace import init_workspace

    settings = init_workspace(tmp_path / "ws")
    engine = SparkEngine.for_lake(settings, session=spark.spark)
    summary = run_models(settings, model_ids=["subsidy_after_death"], engine=engine)
    assert summary.results[0].error is None and summary.results[0].hits == 0
    assert summary.engine == "spark"


FUNCTIONS = """\
id: portable_functions
version: "1.0"
name: {zh: 可移植函数}
field: 其他
description: 替换、正则、哈希、列表展开与序列在两个引擎上结果一致。
legal_basis: [{document: 无}]
inputs: [household_registry]
logic:
  sql: |
    WITH words AS (
      SELECT h.id_no, w.word
      FROM household_registry AS h CROSS JOIN UNNEST(string_split(h.address, ' ')) AS w(word)
    ),
    word_count AS (
      SELECT id_no, COUNT(*) AS words, MIN(word) AS first_word FROM words GROUP BY id_no
    ),
    bigrams AS (
      SELECT h.id_no, MIN(stable_hash(SUBSTRING(h.name, g.i, 2))) AS min_hash
      FROM household_registry AS h
      CROSS JOIN UNNEST(generate_series(1, LENGTH(h.name) - 1)) AS g(i)
      GROUP BY h.id_no
    ),
    counted AS (
      SELECT h.id_no, COUNT(*) AS three FROM household_registry AS h CROSS JOIN range(0, 3) AS r(k)
      GROUP BY h.id_no
    )
    SELECT h.id_no, h.name,
           REPLACE(h.name, '小', '晓') AS replaced,
           REGEXP_REPLACE(h.address, '[0-9]+', '#', 'g') AS masked,
           REGEXP_EXTRACT(h.address, '([0-9]+)号', 1) AS number,
           REGEXP_EXTRACT(h.address, '[A-Z]+') AS letters,
           md5(h.name) AS md5_name, sha256(h.name) AS sha_name, stable_hash(h.name) AS hashed,
           stable_hash(h.birth_date) AS hashed_date,
           c.words, c.first_word, b.min_hash, n.three
    FROM household_registry AS h
    LEFT JOIN word_count AS c ON c.id_no = h.id_no
    LEFT JOIN bigrams AS b ON b.id_no = h.id_no
    JOIN counted AS n ON n.id_no = h.id_no
subject: {type: person, id: id_no, name: name}
period: "'all'"
severity: [{level: blue}]
evidence: [replaced, masked, number, letters, md5_name, sha_name, hashed, hashed_date, words,
           first_word, min_hash, three]
explanation: "{subject_name}{masked}"
"""

FUNCTION_ROWS = {
    "household_registry": [
        {"id_no": "110101195001010011", "name": "王小明", "address": "幸福路 12号 3单元 AB",
         "birth_date": dt.date(1950, 1, 1)},
        {"id_no": "110101196002020022", "name": "欧阳娜娜", "address": "",
         "birth_date": dt.date(1960, 2, 2)},
        {"id_no": "110101197003030033", "name": "李", "address": None, "birth_date": None},
    ]
}  # fmt: skip


def test_portable_functions_agree_on_both_engines(spark) -> None:  # type: ignore[no-untyped-def]
    spec = parse_model_text(FUNCTIONS, "functions.yaml")
    on_duckdb = run_inline(spec, FUNCTION_ROWS, engine=DuckDBEngine())
    on_spark = run_inline(spec, FUNCTION_ROWS, engine=spark)
    assert on_spark == on_duckdb
    wang = {h.subject_name: h.evidence for h in on_duckdb}["王小明"]
    assert wang["replaced"] == "王晓明" and wang["masked"] == "幸福路 #号 #单元 AB"
    assert (wang["number"], wang["letters"]) == ("12", "AB")
    assert wang["md5_name"] == "252654e29e5656218f9b24e528dc0bf3"
    assert wang["hashed"] == int("252654e29e56562", 16)  # the first 15 hex digits of the MD5
    assert wang["words"] == 4 and wang["three"] == 3
    assert wang["min_hash"] == min(
        int(hashlib.md5(g.encode()).hexdigest()[:15], 16) for g in ("王小", "小明")
    )
    li = {h.subject_name: h.evidence for h in on_duckdb}["李"]
    assert li["min_hash"] is None and li["words"] is None and li["hashed_date"] is None


def test_library_views_read_the_same_on_both_engines(spark) -> None:  # type: ignore[no-untyped-def]
    from test_engine_spec import LIBRARY_MODEL

    spec = parse_model_text(LIBRARY_MODEL, "m.yaml")
    assert [r for r in run_cases(spec, lambda: spark) if not r.passed] == []
    tables = _vary(spec.tests[0].tables, copies=4)
    assert run_inline(spec, tables, engine=spark) == run_inline(spec, tables)
