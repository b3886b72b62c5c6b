"""Following a payment through accounts: proportional shares, the time window, round trips."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from qingfeng.subject_library.trace import trace_payment

T0 = datetime(2024, 3, 1, 9, 0)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE bank_transactions (txn_id VARCHAR, account_no VARCHAR, "
        "counterparty_account VARCHAR, counterparty_name VARCHAR, txn_time TIMESTAMP, "
        "amount DECIMAL(18,2), direction VARCHAR)"
    )
    rows = [
        # the subsidy account A (received 10,000 at T0) splits it: 6,000 to B, 4,000 to C
        ("t1", "A", "B", "乙", "2024-03-02 10:00", 6000, "out"),
        ("t2", "A", "C", "丙", "2024-03-03 10:00", 4000, "转出"),
        # B passes 3,000 on to D, and half of it comes back to A (round trip)
        ("t3", "B", "D", "丁", "2024-03-04 10:00", 3000, "out"),
        ("t4", "D", "A", "甲", "2024-03-05 10:00", 1500, "out"),
        # C's statement shows money in (not an outflow) and one transfer too late for the window
        ("t5", "C", "E", "戊", "2024-03-04 10:00", 500, "in"),
        ("t6", "C", "F", "己", "2024-05-30 10:00", 4000, "out"),
        # a transfer out of A before the money arrived carries none of it
        ("t0", "A", "G", "庚", "2024-02-28 10:00", 9000, "out"),
        # D's outflows in the window are t4 (1,500) and t7 (4,500, a negative amount without a
        # direction): the 3,000 traced spread over them, 750 and 2,250
        ("t7", "D", "H", "辛", "2024-03-06 10:00", -4500, None),
    ]
    con.executemany("INSERT INTO bank_transactions VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def test_four_hops_with_proportional_shares(con) -> None:  # type: ignore[no-untyped-def]
    steps = trace_payment(con, "A", 10000, T0, hops=4, window_days=30)
    got = {(s.hop, s.txn_id): round(s.traced, 2) for s in steps}
    assert got == {
        (1, "t1"): 6000.0,
        (1, "t2"): 4000.0,
        (2, "t3"): 3000.0,  # B moved 3,000 of the 6,000 it got: all of it traced
        (3, "t4"): 750.0,  # D's 3,000 spread over 1,500 + 4,500 out
        (3, "t7"): 2250.0,
    }
    back = next(s for s in steps if s.txn_id == "t4")
    assert back.path == ("A", "B", "D", "A")  # a round trip back to the payer
    assert not any(s.hop == 4 for s in steps)  # nothing left to follow


def test_window_hops_and_bad_input(con) -> None:  # type: ignore[no-untyped-def]
    one = trace_payment(con, "A", 10000, T0, hops=1)
    assert {s.txn_id for s in one} == {"t1", "t2"}
    wide = trace_payment(con, "A", 10000, T0, hops=2, window_days=120)
    assert "t6" in {s.txn_id for s in wide}
    small = trace_payment(con, "A", 100, T0, hops=2)
    assert {(s.txn_id, round(s.traced, 2)) for s in small} == {
        ("t1", 60.0),
        ("t2", 40.0),
        ("t3", 60.0),  # B's one outflow can carry all 60
    }
    with pytest.raises(ValueError):
        trace_payment(con, "A", 0, T0)
    with pytest.raises(ValueError):
        trace_payment(con, "A", 10, T0, hops=0)
