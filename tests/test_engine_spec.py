"""Model specs: loading, every error reported at once with its line, the allow-list, prohibited
fields, parameter binding, and the published JSON Schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest

from built_in_models import built_in_models
from qingfeng.engine import ModelSpecError, compile_model, parse_model_text
from qingfeng.engine.dataspec_port import Catalogue, FieldInfo
from qingfeng.engine.schema import json_schema_text
from qingfeng.engine.testing import run_cases, run_inline

ROOT = Path(__file__).resolve().parents[1]

GOOD = textwrap.dedent(
    """\
    id: paid_twice
    version: "1.0"
    name: {zh: 重复发放, en: Paid twice}
    field: 民生资金
    description: 同一人同一期同一补贴发放两次以上。
    legal_basis:
      - document: 《社会救助暂行办法》
        article: 第六十八条
    inputs: [subsidy_payments]
    parameters:
      min_count: {type: integer, default: 2, min: 2, max: 100}
    logic:
      sql: |
        SELECT id_no, name, period, subsidy_type, COUNT(*) AS n, SUM(amount) AS total
        FROM subsidy_payments
        GROUP BY id_no, name, period, subsidy_type
        HAVING COUNT(*) >= :min_count
    subject: {type: person, id: id_no, name: name}
    period: period
    severity:
      - {level: red, when: "n >= 3"}
      - {level: yellow}
    amount: total
    evidence: [subsidy_type, n, total]
    explanation: "{subject_name}在{period}领取{subsidy_type}{n}次，共{total}元"
    """
)


def _problems(text: str, catalogue: Catalogue | None = None) -> list[str]:
    with pytest.raises(ModelSpecError) as info:
        parse_model_text(text, "m.yaml", catalogue)
    return [str(p) for p in info.value.problems]


def test_built_in_library_loads_without_errors() -> None:
    models = built_in_models()
    assert models.errors == []
    assert "subsidy_after_death" in models.models


def test_a_good_spec_compiles_and_runs() -> None:
    spec = parse_model_text(GOOD, "m.yaml")
    row = {"id_no": "1", "name": "甲", "period": "2024-01", "subsidy_type": "高龄补贴"}
    tables = {"subsidy_payments": [{**row, "amount": 100.0}] * 3 + [{**row, "id_no": "2"}] * 1}
    hits = run_inline(spec, tables)
    assert [(h.subject_id, h.severity, h.amount) for h in hits] == [("1", "red", 300)]
    assert hits[0].explanation == "甲在2024-01领取高龄补贴3次，共300.00元"


def test_malformed_spec_lists_every_error_with_its_line() -> None:
    text = textwrap.dedent(
        """\
        id: Bad-Id
        version: one
        name: {zh: 坏模型}
        field: 不存在的领域
        description: x
        legal_basis: []
        inputs: [subsidy_payments, no_such_dataset]
        parameters:
          limit: {type: integer, default: 5, min: 10}
        logic:
          sql: SELECT id_no, amount FROM subsidy_payments
        subject: {type: person, id: id_no, nmae: name}
        period: period
        severity:
          - {level: purple}
        explanation: "{x}"
        colour: blue
        """
    )
    problems = _problems(text)
    joined = "\n".join(problems)
    expected_lines = {
        "m.yaml:1: id": "Bad-Id",
        "m.yaml:2: version": "one",
        "m.yaml:4: field": "不存在的领域",
        "m.yaml:6: legal_basis": "at least 1",
        "m.yaml:9: parameters.limit": "below the minimum",
        "m.yaml:12: subject.nmae": "unknown key",
        "m.yaml:15: severity.0.level": "purple",
        "m.yaml:17: colour": "unknown key",
    }
    for where, hint in expected_lines.items():
        assert any(p.startswith(where) for p in problems), f"{where} missing in:\n{joined}"
        assert hint in next(p for p in problems if p.startswith(where)) or hint in joined
    assert len(problems) >= len(expected_lines)


def test_semantic_errors_are_all_reported_with_lines() -> None:
    text = GOOD.replace("FROM subsidy_payments", "FROM subsidy_payment")
    text = text.replace('when: "n >= 3"', 'when: "n >= :missing"')
    text = text.replace("evidence: [subsidy_type, n, total]", "evidence: [subsidy_type, nope]")
    text = text.replace("{total}元", "{total}元{ghost}")
    problems = _problems(text)
    assert any("m.yaml:15: logic.sql" in p and "subsidy_payment " in p for p in problems)
    assert any("severity.0.when" in p and ":missing" in p for p in problems)
    assert any("evidence.1" in p and "nope" in p for p in problems)
    assert any("explanation" in p and "{ghost}" in p for p in problems)


def test_sql_syntax_error_points_into_the_sql_block() -> None:
    text = GOOD.replace("GROUP BY id_no", "GROUP BY BY id_no")
    problems = _problems(text)
    # the SQL text starts on line 14, its 3rd line (GROUP BY) is file line 16
    assert any(p.startswith("m.yaml:16: logic.sql: SQL syntax error") for p in problems), problems
    head, tail = GOOD.split("logic:\n")
    inline = head + "logic:\n  sql: SELECT id_no FROM (\n" + tail.split(":min_count\n")[1]
    assert any(p.startswith("m.yaml:13: logic.sql: SQL syntax error") for p in _problems(inline))


def test_yaml_syntax_error_and_duplicate_keys_have_lines() -> None:
    assert _problems("id: a\nname: [unclosed\n")[0].startswith("m.yaml:")
    problems = _problems(GOOD + "period: month\n")
    assert any(p.startswith("m.yaml:26: period: duplicate key") for p in problems), problems


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT id_no, name, period FROM read_parquet('x.parquet')", "never files"),
        (
            "SELECT id_no, name, period FROM subsidy_payments WHERE levenshtein(name, 'x') < 2",
            "levenshtein counts bytes",
        ),
        ("SELECT id_no, name, period FROM subsidy_payments WHERE hash(name) = 1", "stable_hash"),
        ("SELECT id_no, name, period FROM subsidy_payments WHERE crc32(name) = 1", "crc32()"),
        ("SELECT id_no, name, period FROM other.subsidy_payments", "bare dataset id"),
        ("SELECT * FROM subsidy_payments", "no *"),
        ("DELETE FROM subsidy_payments", "SELECT"),
        ("SELECT id_no, name, period FROM deaths", "not declared in inputs"),
    ],
)
def test_allow_list_refuses_constructs(sql: str, reason: str) -> None:
    text = GOOD.split("logic:")[0] + "logic:\n  sql: " + repr(sql).replace('"', "'")
    text = text.replace("logic:\n  sql: '", 'logic:\n  sql: "')[:-1] + '"\n'
    text += GOOD.split("HAVING COUNT(*) >= :min_count\n")[1].replace("amount: total\n", "")
    text = text.replace("evidence: [subsidy_type, n, total]", "evidence: []")
    text = text.replace('"{subject_name}在{period}领取{subsidy_type}{n}次，共{total}元"', "x")
    text = text.replace('when: "n >= 3"', "when: \"period = 'x'\"")
    problems = "\n".join(_problems(text))
    assert reason in problems


CATALOGUE = Catalogue(
    datasets={
        "deaths": {
            "id_no": FieldInfo("id_no", "VARCHAR", "sensitive"),
            "name": FieldInfo("name", "VARCHAR", "personal"),
            "death_date": FieldInfo("death_date", "DATE", "personal"),
            "cause_of_death": FieldInfo("cause_of_death", "VARCHAR", "prohibited"),
        },
        "subsidy_payments": {},
    }
)

PROHIBITED = textwrap.dedent(
    """\
    id: by_cause
    version: "1.0"
    name: {zh: 按死因}
    field: 其他
    description: 读取禁止使用的字段。
    legal_basis: [{document: 无}]
    inputs: [deaths]
    logic:
      sql: |
        SELECT d.id_no, d.name, d.death_date
        FROM deaths AS d
        WHERE d.cause_of_death = '某病'
    subject: {type: person, id: id_no, name: name}
    period: death_date
    severity: [{level: blue}]
    explanation: "{subject_name}"
    """
)


def test_a_prohibited_field_is_refused_at_compile_time() -> None:
    problems = _problems(PROHIBITED, CATALOGUE)
    assert any(
        "m.yaml:12: logic.sql" in p and "deaths.cause_of_death" in p and "prohibited" in p
        for p in problems
    ), problems
    unqualified = PROHIBITED.replace("d.cause_of_death", "cause_of_death")
    assert any("deaths.cause_of_death" in p for p in _problems(unqualified, CATALOGUE))
    star = PROHIBITED.replace("SELECT d.id_no, d.name, d.death_date", "SELECT d.*").replace(
        "WHERE d.cause_of_death = '某病'", ""
    )
    assert any("d.* would read prohibited fields" in p for p in _problems(star, CATALOGUE))


def test_unknown_field_of_a_described_dataset_is_reported() -> None:
    text = PROHIBITED.replace("d.cause_of_death = '某病'", "d.death_place = '某地'")
    assert any("dataset deaths has no field death_place" in p for p in _problems(text, CATALOGUE))


def test_the_real_catalogue_marks_prohibited_fields_when_present() -> None:
    catalogue_pkg = pytest.importorskip("qingfeng.dataspec")
    specs = catalogue_pkg.load_catalogue()
    prohibited = [
        (ds, f.name)
        for ds, spec in specs.items()
        for f in spec.fields
        if f.sensitivity == "prohibited"
    ]
    assert prohibited, "the catalogue declares no prohibited field"
    dataset, field = prohibited[0]
    text = PROHIBITED.replace("[deaths]", f"[{dataset}]").replace("deaths AS d", f"{dataset} AS d")
    text = text.replace("d.cause_of_death", f"d.{field}").replace("d.death_date", "d.id_no AS dd")
    text = text.replace("period: death_date", "period: dd")
    assert any(f"{dataset}.{field}" in p for p in _problems(text))


def test_parameters_are_bound_as_literals_never_formatted() -> None:
    text = GOOD.replace(
        "parameters:\n  min_count: {type: integer, default: 2, min: 2, max: 100}",
        "parameters:\n  min_count: {type: integer, default: 2, min: 2, max: 100}\n"
        "  kind: {type: string, default: 高龄补贴}",
    ).replace("GROUP BY id_no", "WHERE subsidy_type = :kind\n    GROUP BY id_no")
    spec = parse_model_text(text, "m.yaml")
    hostile = "x'; DROP TABLE subsidy_payments; --"
    compiled = compile_model(spec, {"kind": hostile})
    sql = compiled.sql("duckdb")
    assert "'x''; DROP TABLE subsidy_payments; --'" in sql
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE subsidy_payments (id_no VARCHAR, name VARCHAR, period VARCHAR, "
        "subsidy_type VARCHAR, amount DECIMAL(18,2))"
    )
    assert con.execute(sql).fetchall() == []
    assert con.execute("SELECT count(*) FROM subsidy_payments").fetchone() == (0,)
    with pytest.raises(ModelSpecError, match="above the maximum"):
        compile_model(spec, {"min_count": 101})
    with pytest.raises(ValueError, match="no parameter"):
        spec.parameter_values({"nope": 1})


def test_published_json_schema_is_current() -> None:
    published = (ROOT / "docs" / "model-spec.schema.json").read_text(encoding="utf-8")
    assert published == json_schema_text(), (
        "docs/model-spec.schema.json is stale: run "
        "`python -m qingfeng.engine.schema > docs/model-spec.schema.json`"
    )


def test_every_spec_key_is_documented() -> None:
    from qingfeng.engine.spec import FIELDS, ModelSpec

    docs = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    missing = [k for k in ModelSpec.model_fields if f"| `{k}` |" not in docs]
    assert missing == [], f"docs/models.md does not document: {missing}"
    assert all(f in docs for f in FIELDS)


def test_hit_key_widths_match_the_store() -> None:
    from qingfeng.engine.results import MAX_PERIOD, MAX_SUBJECT_ID
    from qingfeng.store.models import Warning

    assert Warning.__table__.c.period.type.length == MAX_PERIOD  # type: ignore[attr-defined]
    assert Warning.__table__.c.subject_id.type.length == MAX_SUBJECT_ID  # type: ignore[attr-defined]
    long_period = GOOD.replace(
        "period: period", "period: \"period || '-' || subsidy_type || '-xxxxxxxxxxxx'\""
    )
    spec = parse_model_text(long_period, "m.yaml")
    row = {
        "id_no": "1",
        "name": "甲",
        "period": "2024-01",
        "subsidy_type": "高龄补贴",
        "amount": 1.0,
    }
    with pytest.raises(ValueError, match="a period at most 20"):
        run_inline(spec, {"subsidy_payments": [row, row]})


# ---- functions whose engines differ: allowed in their faithful form, refused otherwise --------
def _one_table_model(sql: str, inputs: str = "[household_registry]") -> str:
    return (
        textwrap.dedent(
            """\
        id: f
        version: "1.0"
        name: {zh: 函数}
        field: 其他
        description: 函数的可移植写法。
        legal_basis: [{document: 无}]
        inputs: INPUTS
        logic:
          sql: |
            SQL
        subject: {type: person, id: id_no, name: name}
        period: "'all'"
        severity: [{level: blue}]
        explanation: "{subject_name}"
        """
        )
        .replace("INPUTS", inputs)
        .replace("SQL", sql)
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id_no, name, REPLACE(name, '王', 'W') AS x FROM household_registry",
        "SELECT id_no, name, REGEXP_REPLACE(address, '[0-9]+', '#', 'g') AS x "
        "FROM household_registry",
        "SELECT id_no, name, REGEXP_EXTRACT(address, '([0-9]+)号', 1) AS x FROM household_registry",
        "SELECT id_no, name, stable_hash(name) AS h, md5(name) AS m, sha256(name) AS s "
        "FROM household_registry",
        "SELECT h.id_no, h.name, w.word FROM household_registry AS h "
        "CROSS JOIN UNNEST(string_split(h.address, ' ')) AS w(word)",
        "SELECT id_no, name, UNNEST(string_split(address, ',')) AS part FROM household_registry",
        "SELECT h.id_no, h.name, g.i FROM household_registry AS h "
        "CROSS JOIN UNNEST(generate_series(1, LENGTH(h.name), 2)) AS g(i)",
        "SELECT h.id_no, h.name, g.i FROM household_registry AS h CROSS JOIN range(0, 3) AS g(i)",
    ],
)
def test_portable_functions_compile(sql: str) -> None:
    compiled = compile_model(parse_model_text(_one_table_model(sql), "m.yaml"))
    assert "SEQUENCE" in compiled.sql("spark") or "series" not in sql


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "SELECT id_no, name, REGEXP_REPLACE(address, '[0-9]', '#') AS x "
            "FROM household_registry",
            "only the first match on DuckDB",
        ),
        (
            "SELECT id_no, name, REGEXP_REPLACE(address, '([0-9])', '<\\1>', 'g') AS x "
            "FROM household_registry",
            "may not refer to groups",
        ),
        (
            "SELECT id_no, name, REGEXP_EXTRACT(address, name) AS x FROM household_registry",
            "pattern must be a text literal",
        ),
        ("SELECT id_no, name, hash(name) AS x FROM household_registry", "stable_hash(x)"),
        (
            "SELECT h.id_no, h.name, w.word FROM household_registry AS h "
            "LEFT JOIN UNNEST(string_split(h.address, ' ')) AS w(word) ON TRUE",
            "no faithful Spark form",
        ),
        (
            "SELECT h.id_no, h.name, w.word FROM household_registry AS h "
            "CROSS JOIN UNNEST(string_split(h.address, ' ')) AS w",
            "UNNEST(list) AS t(value)",
        ),
        (
            "SELECT id_no, name, UNNEST(string_split(address, ',')) || '!' AS x "
            "FROM household_registry",
            "whole output column",
        ),
        (
            "SELECT id_no, name, UNNEST(string_split(address, ',')) AS a, "
            "UNNEST(string_split(phone, ',')) AS b FROM household_registry",
            "one UNNEST per SELECT",
        ),
        (
            "SELECT id_no, name, UNNEST(string_split(address, '')) AS c FROM household_registry",
            "non-empty text literal",
        ),
        (
            "SELECT h.id_no, h.name, g.i FROM household_registry AS h "
            "CROSS JOIN UNNEST(generate_series(5, 1, -1)) AS g(i)",
            "positive whole number",
        ),
    ],
)
def test_unfaithful_forms_are_refused_with_the_function_named(sql: str, reason: str) -> None:
    problems = "\n".join(_problems(_one_table_model(sql)))
    assert reason in problems, problems


# ---- CTEs: aliases flow from one to the next; the field checks see through them ---------------
def test_a_cte_alias_is_visible_to_a_later_cte() -> None:
    sql = (
        "WITH a AS (SELECT h.id_no, h.name, h.birth_date AS born FROM household_registry AS h),\n"
        "    b AS (SELECT id_no, name, born, YEAR(born) AS birth_year FROM a\n"
        "          WHERE born < DATE '1960-01-01')\n"
        "    SELECT b.id_no, b.name, b.birth_year FROM b"
    )
    compiled = compile_model(parse_model_text(_one_table_model(sql), "m.yaml"))
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE household_registry AS SELECT '110101195001010011' AS id_no, "
        "'张一' AS name, DATE '1950-01-01' AS birth_date"
    )
    assert con.execute(compiled.sql("duckdb")).fetchall()[0][0] == "110101195001010011"


@pytest.mark.parametrize(
    "sql",
    [
        # unqualified, then renamed by a CTE
        "WITH a AS (SELECT id_no, name, cause_of_death AS c FROM deaths)\n"
        "    SELECT id_no, name, death_date FROM a JOIN deaths USING (id_no) WHERE c = 'x'",
        # qualified inside a later CTE
        "WITH a AS (SELECT d.id_no, d.name, d.death_date FROM deaths AS d),\n"
        "    b AS (SELECT a.id_no, a.name, a.death_date FROM a\n"
        "          JOIN deaths AS e ON e.id_no = a.id_no\n"
        "          WHERE e.cause_of_death = 'x')\n"
        "    SELECT id_no, name, death_date FROM b",
        # every column of the dataset taken into a CTE
        "WITH a AS (SELECT * FROM deaths)\n    SELECT id_no, name, death_date FROM a",
    ],
)
def test_the_prohibited_field_check_sees_through_ctes(sql: str) -> None:
    text = PROHIBITED.split("logic:")[0] + "logic:\n  sql: |\n    " + sql + "\n"
    text += "subject:" + PROHIBITED.split("subject:")[1]
    problems = "\n".join(_problems(text, CATALOGUE))
    assert "cause_of_death" in problems or "prohibited fields of deaths" in problems, problems


def test_a_cte_may_not_take_a_dataset_name() -> None:
    """`WITH deaths AS (SELECT * FROM deaths)` would hide the dataset from the field checks."""
    sql = "WITH deaths AS (SELECT * FROM deaths)\n    SELECT id_no, name, death_date FROM deaths"
    text = PROHIBITED.split("logic:")[0] + "logic:\n  sql: |\n    " + sql + "\n"
    text += "subject:" + PROHIBITED.split("subject:")[1]
    problems = "\n".join(_problems(text, CATALOGUE))
    assert "has the name of the dataset deaths" in problems


# ---- library views as inputs --------------------------------------------------------------------
LIBRARY_MODEL = textwrap.dedent(
    """\
    id: official_dead_relative
    version: "1.0"
    name: {zh: 公职人员近亲属已死亡}
    field: 其他
    description: 读取关系库与人员库。
    legal_basis: [{document: 无}]
    inputs: [public_payroll, close_relatives, people]
    logic:
      sql: |
        SELECT p.id_no, p.name, r.relation, q.name AS relative_name, q.names_seen,
               strftime(p.start_date, '%Y') AS period
        FROM public_payroll AS p
        JOIN close_relatives AS r ON r.id_no = p.id_no
        JOIN people AS q ON q.id_no = r.relative_id_no
        WHERE r.confidence >= 0.9 AND q.is_dead
    subject: {type: person, id: id_no, name: name}
    period: period
    severity: [{level: blue}]
    evidence: [relation, relative_name]
    explanation: "{subject_name}的{relation}{relative_name}已死亡"
    tests:
      - name: 近亲属已死亡命中
        tables:
          public_payroll:
            - {id_no: "110101198001010011", name: 张一, org_uscc: X, org_name: 某局, position: 科员,
               start_date: 2020-01-01, end_date: null, monthly_salary: 100.00}
          close_relatives:
            - {id_no: "110101198001010011", relative_id_no: "110101195001010022",
               relation: parent, confidence: 1.0, method: household_role}
          people:
            - {id_no: "110101195001010022", name: 张父, names_seen: [张父, 張父], is_dead: true}
        expected:
          - {subject_id: "110101198001010011", period: "2020", explanation: 张一的parent张父已死亡}
    """
)


def test_library_views_are_inputs_with_known_columns() -> None:
    spec = parse_model_text(LIBRARY_MODEL, "m.yaml")
    assert [r.problems or r.error for r in run_cases(spec)] == [None]
    wrong = LIBRARY_MODEL.replace("q.is_dead", "q.is_deceased")
    assert any("dataset people has no field is_deceased" in p for p in _problems(wrong))
    unknown = LIBRARY_MODEL.replace("close_relatives", "close_friends")
    assert any("unknown dataset close_friends" in p for p in _problems(unknown))
