"""Hits from a model's result: the column-wise builder against a plain row-by-row reference, on
random results with repeated subjects and periods, NULLs, dates, decimals and several severities;
and the rows the engine fetches column by column are the rows it fetches row by row."""

from __future__ import annotations

import datetime as dt
import json
import random
import textwrap
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from qingfeng.engine import DuckDBEngine, compile_model, parse_model_text
from qingfeng.engine.results import MAX_ADDITIONAL_ROWS, MAX_SENTENCES, json_value, rows_to_hits
from qingfeng.hits import SEVERITIES, Hit

MODEL = textwrap.dedent(
    """\
    id: paid
    version: "1.0"
    name: {zh: 发放}
    field: 民生资金
    description: 每笔发放一条。
    legal_basis: [{document: 无}]
    inputs: [subsidy_payments]
    logic:
      sql: |
        SELECT id_no, name, period, division_code, payment_no, pay_date, amount, subsidy_type
        FROM subsidy_payments
    subject: {type: person, id: id_no, name: name}
    period: period
    severity:
      - {level: red, when: "amount >= 500"}
      - {level: yellow, when: "subsidy_type = '低保金'"}
      - {level: blue}
    amount: amount
    division: division_code
    evidence: [payment_no, pay_date, amount, subsidy_type]
    explanation: "{subject_name}于{pay_date}领取{subsidy_type}{amount}元（{severity}）"
    """
)


def _severity(row: dict[str, Any]) -> str:
    if row["amount"] is not None and row["amount"] >= 500:
        return "red"
    return "yellow" if row["subsidy_type"] == "低保金" else "blue"


def _evidence(row: dict[str, Any]) -> dict[str, Any]:
    return {k: json_value(row[k]) for k in ("payment_no", "pay_date", "amount", "subsidy_type")}


def _text(value: Any) -> str:
    if value is None:
        return "（空）"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _sentence(row: dict[str, Any]) -> str:
    return (
        f"{_text(row['name'])}于{_text(row['pay_date'])}领取{_text(row['subsidy_type'])}"
        f"{_text(row['amount'])}元（{_severity(row)}）"
    )


def _rank(row: dict[str, Any]) -> tuple[Any, ...]:
    amount = row["amount"]
    return (
        SEVERITIES.index(_severity(row)),
        -(amount if amount is not None else Decimal("-Infinity")),
        json.dumps(_evidence(row), sort_keys=True),
    )


def _reference(rows: list[dict[str, Any]]) -> list[Hit]:
    """The hits, row by row: group by subject and period, the worst severity / largest amount /
    smallest evidence JSON leads, amounts summed, sentences joined."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if not row["id_no"]:
            continue
        groups.setdefault((row["id_no"], row["period"] or ""), []).append(row)
    hits = []
    for (subject, period), members in sorted(groups.items()):
        members.sort(key=_rank)
        lead = members[0]
        ev = _evidence(lead)
        amount, sentence = lead["amount"], _sentence(lead)
        if len(members) > 1:
            amounts = [m["amount"] for m in members if m["amount"] is not None]
            amount = sum(amounts, Decimal(0)) if amounts else None
            sentences = list(dict.fromkeys(_sentence(m) for m in members))
            sentence = "；".join(sentences[:MAX_SENTENCES])
            if len(sentences) > MAX_SENTENCES:
                sentence += f"等，共{len(members)}笔"
            ev["additional_rows"] = [_evidence(m) for m in members[1:MAX_ADDITIONAL_ROWS]]
            ev["row_count"] = len(members)
        hits.append(
            Hit("paid", "1.0", "person", subject, period, _severity(lead), sentence, lead["name"],
                amount, lead["division_code"], ev)
        )  # fmt: skip
    return hits


def _random_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        amount = rng.choice([None, Decimal("120.00"), Decimal("480.50"), Decimal("800.00")])
        rows.append(
            {
                "payment_no": f"P{i:04d}",
                "id_no": rng.choice(["", None] + [f"11010119{k:02d}0101001X" for k in range(12)]),
                "name": rng.choice(["张三", "李四", None]),
                "period": rng.choice(["2024-01", "2024-02", "2024-03", None]),
                "pay_date": rng.choice([dt.date(2024, 1, 5), dt.date(2024, 2, 5), None]),
                "amount": amount,
                "subsidy_type": rng.choice(["低保金", "高龄补贴", None]),
                "division_code": rng.choice(["110101001001", None]),
            }
        )
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_hits_equal_a_row_by_row_reference(seed: int) -> None:
    rng = random.Random(seed)
    rows = _random_rows(rng, rng.choice([1, 5, 40, 300]))
    spec = parse_model_text(MODEL, "paid.yaml")
    engine = DuckDBEngine()
    engine.register_rows(
        "subsidy_payments",
        {
            "payment_no": "VARCHAR", "id_no": "VARCHAR", "name": "VARCHAR", "period": "VARCHAR",
            "pay_date": "DATE", "amount": "DECIMAL(18,2)", "subsidy_type": "VARCHAR",
            "division_code": "VARCHAR",
        },
        rows,
    )  # fmt: skip
    compiled = compile_model(spec)
    names, result_rows = engine.query(compiled.sql("duckdb"))
    hits, dropped = rows_to_hits(compiled, names, result_rows)
    assert hits == _reference(rows)
    assert dropped == sum(1 for r in rows if not r["id_no"])
    columns = engine.query_columns(compiled.sql("duckdb"))
    assert [list(r) for r in zip(*columns.values, strict=True)] == [list(r) for r in result_rows]


def test_the_numpy_fetch_gives_the_values_fetchall_gives() -> None:
    con = duckdb.connect()
    sql = (
        "SELECT * FROM (VALUES ('a', 1::BIGINT, 2::INTEGER, true, 1.5::DOUBLE, 'nan'::DOUBLE), "
        "(NULL, NULL, NULL, NULL, NULL, NULL), ('王', -3, 0, false, -0.0, 1e300)) "
        "AS t(s, b, i, f, d, x)"
    )
    columns = DuckDBEngine(con).query_columns(sql)
    rows = con.execute(sql).fetchall()
    for got, want in zip(zip(*columns.values, strict=True), rows, strict=True):
        for g, w in zip(got, want, strict=True):
            assert type(g) is type(w) and (g == w or (g != g and w != w))
    assert columns.text == frozenset({"s"})


def test_a_single_severity_and_no_amount_are_constants_of_the_sentence() -> None:
    text = MODEL.replace(
        """severity:
  - {level: red, when: "amount >= 500"}
  - {level: yellow, when: "subsidy_type = '低保金'"}
  - {level: blue}
amount: amount
""",
        "severity: [{level: orange}]\n",
    ).replace("{amount}元（{severity}）", "{amount}元（{severity}，原额{subject_id}）")
    compiled = compile_model(parse_model_text(text, "paid.yaml"))
    assert compiled.layout.severity == "orange" and not compiled.layout.amount
    assert "__severity" not in compiled.sql("duckdb") and "__amount" not in compiled.sql("duckdb")
    engine = DuckDBEngine()
    engine.register_rows(
        "subsidy_payments",
        {"payment_no": "VARCHAR", "id_no": "VARCHAR", "name": "VARCHAR", "period": "VARCHAR",
         "pay_date": "DATE", "amount": "DECIMAL(18,2)", "subsidy_type": "VARCHAR",
         "division_code": "VARCHAR"},
        [{"payment_no": "P1", "id_no": "X1", "name": "张三", "period": "2024-01",
          "pay_date": dt.date(2024, 1, 5), "amount": Decimal("12.50"), "subsidy_type": None}],
    )  # fmt: skip
    (hit,) = rows_to_hits(compiled, *engine.query(compiled.sql("duckdb")))[0]
    assert hit.severity == "orange" and hit.amount is None
    assert (
        hit.explanation == "张三于2024-01-05领取（空）12.50元（orange，原额X1）"
    )  # a logic column
    assert hit.evidence == {"payment_no": "P1", "pay_date": "2024-01-05", "amount": "12.50",
                            "subsidy_type": None}  # fmt: skip
