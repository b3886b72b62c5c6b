"""Candidates normalised from remembered or already-canonical values equal the query's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from qingfeng.normalise import install_macros
from qingfeng.screening import candidates as cand
from qingfeng.screening.candidates import Preparer
from qingfeng.screening.memo import _id_canonical
from screening_support import valid_id

TODAY = dt.date(2026, 12, 7)


def _payment(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "payment_no": f"MZ{i:06d}",
        "id_no": valid_id(f"52270119450101{i:03d}"),
        "name": "王秀英",
        "subsidy_type": "高龄津贴",
        "period": "2026-12",
        "amount": "200.00",
        "account_no": f"62170000{i:08d}",
        "division_code": "522701001001",
        **extra,
    }


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return con.execute(f'SELECT * FROM "{table}" ORDER BY __ref').fetchall()


def _normalise(preparer: Preparer, items: list[Any]) -> tuple[list[tuple[Any, ...]], Any]:
    prepared = preparer.prepare("subsidy_payments", items, today=TODAY)
    errors = {i: sorted((e.field, e.code) for e in errs) for i, errs in prepared.errors.items()}
    return _rows(preparer.con, prepared.tables["subsidy_payments"]), errors


@pytest.fixture
def preparers() -> tuple[Preparer, Preparer]:
    """A preparer that always queries (memo off) and one that may skip the query."""
    cold, warm = duckdb.connect(), duckdb.connect()
    install_macros(cold)
    install_macros(warm)
    return Preparer(cold), Preparer(warm)


def _query_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cand, "MEMO_ROWS", 0)


def test_remembered_and_canonical_values_give_the_query_rows(
    preparers: tuple[Preparer, Preparer], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold, warm = preparers
    # the warm preparer learns the repeating values (benefit, period, amount, village) once
    _normalise(warm, [_payment(1)])
    singles = [
        _payment(2),  # new ID, account and payment numbers: canonical, no query
        _payment(3, name="李桂兰"),
        _payment(
            4,
            id_no="52270119450101004" + ("0" if valid_id("52270119450101004")[-1] != "0" else "1"),
        ),  # check digit wrong: the query decides
        _payment(5, name="張三"),  # traditional: converted by the query
        _payment(6, name=" 王 秀英 "),  # spaces: cleaned by the query
        _payment(7, account_no="6217 0000 1"),
        _payment(8, id_no="522701450101001"),  # 15 digits: upgraded by the query
        _payment(9, amount="贰佰元"),
        _payment(10, period=None, pay_date="2026年12月3日"),
        _payment(11, id_no=None),
        _payment(12, amount="abc"),
        _payment(2),  # seen: remembered
    ]
    for item in singles:
        got_warm = _normalise(warm, [item])
        with monkeypatch.context() as m:
            _query_only(m)
            got_cold = _normalise(cold, [item])
        assert got_warm == got_cold, item


def test_memo_path_skips_the_query(
    preparers: tuple[Preparer, Preparer], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, warm = preparers
    _normalise(warm, [_payment(1)])
    normaliser = warm.normaliser("subsidy_payments")
    ran: list[str] = []
    real = normaliser.con

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def execute(self, sql: str, *args: Any) -> Any:
            ran.append(sql)
            return real.execute(sql, *args)

    normaliser.con = Spy()  # type: ignore[assignment]
    _normalise(warm, [_payment(20)])
    assert not any(sql.startswith("EXECUTE") for sql in ran), ran


def test_batch_teaches_the_memo_per_row(preparers: tuple[Preparer, Preparer]) -> None:
    _, warm = preparers
    batch = [_payment(i) for i in range(30)] + [_payment(99, amount="x")]
    _, errors = _normalise(warm, batch)
    assert errors == {30: [("amount", "invalid")]}
    again = _normalise(warm, [batch[30]])
    assert again[1] == {0: [("amount", "invalid")]}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (valid_id("52270119450101001"), True),
        ("52270119450101001" + "0", None),  # whichever check digit is wrong
        ("522701194502300018", False),  # 30 February
        ("522701187001010010", False),  # before 1880
        ("52270119450101001x", False),  # lower-case x: the query upper-cases it
    ],
)
def test_id_fast_path(value: str, ok: bool | None) -> None:
    expected = ok if ok is not None else value == valid_id(value[:17])
    assert _id_canonical(value, TODAY) is expected
