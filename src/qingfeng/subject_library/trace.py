"""Follow a public payment through bank accounts, hop by hop (资金穿透).

From the account that received a payment, each hop takes the transfers out of the accounts
reached, made after the money arrived and within `window_days` of it, and attributes to each the
share of the traced money it can carry. The rule is **proportional**: an account holding traced
money `m` that sends out `o_1 … o_n` in the window passes on `m × o_i / max(Σo, m)` through
transfer i: the traced money is spread over the outflows in proportion to their size, and no
transfer carries more than it moved (when the outflows sum to less than `m`, each carries its
whole amount and the rest stays in the account). Amounts under `min_amount` stop a branch.

Each hop is one join in SQL (iterated, not recursive: every engine runs it the same way), so a
4-hop trace is four joins over the outgoing transfers of the accounts reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from qingfeng.subject_library.relations import IN_DIRECTIONS, OUT_DIRECTIONS

RULE = "proportional"


@dataclass(frozen=True)
class TraceStep:
    hop: int
    from_account: str
    to_account: str
    to_name: str | None
    txn_id: str
    txn_time: datetime
    amount: float  # the whole transfer
    traced: float  # the share of the traced money it carries
    path: tuple[str, ...]  # accounts from the start to to_account


def _transfers_sql() -> str:
    """Outgoing transfers, one row each, from either side's statement (a transfer seen on both
    statements counts once: the payer's line)."""
    outs = ", ".join(f"'{d}'" for d in OUT_DIRECTIONS)
    ins = ", ".join(f"'{d}'" for d in IN_DIRECTIONS)
    return f"""
    SELECT txn_id, account_no AS src, counterparty_account AS dst, counterparty_name AS dst_name,
           CAST(txn_time AS TIMESTAMP) AS t, abs(CAST(amount AS DOUBLE)) AS amount
    FROM bank_transactions
    WHERE counterparty_account IS NOT NULL AND account_no IS NOT NULL
      AND (lower(trim(direction)) IN ({outs})
           OR (lower(trim(coalesce(direction, ''))) NOT IN ({ins}) AND amount < 0))
    """


def trace_payment(
    con: duckdb.DuckDBPyConnection,
    account_no: str,
    amount: float,
    received_at: datetime,
    *,
    hops: int = 4,
    window_days: int = 30,
    min_amount: float = 1.0,
) -> list[TraceStep]:
    """The transfers that carry a share of `amount`, received by `account_no` at `received_at`,
    over up to `hops` hops; ordered by hop and time."""
    if hops < 1:
        raise ValueError("hops must be at least 1")
    if amount <= 0:
        raise ValueError("the traced amount must be positive")
    con.execute(f"CREATE OR REPLACE TEMP VIEW qf_trace_transfers AS {_transfers_sql()}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_trace_frontier AS SELECT ?::VARCHAR AS account, "
        "?::TIMESTAMP AS arrived, ?::DOUBLE AS traced, [?::VARCHAR] AS path",
        [account_no, received_at, amount, account_no],
    )
    steps: list[TraceStep] = []
    for hop in range(1, hops + 1):
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE qf_trace_hop AS
            WITH outflows AS (
              SELECT f.account, f.arrived, f.traced, f.path, x.txn_id, x.dst, x.dst_name, x.t,
                     x.amount,
                     sum(x.amount) OVER (PARTITION BY f.account, f.arrived, f.path) AS total_out
              FROM qf_trace_frontier f
              JOIN qf_trace_transfers x
                ON x.src = f.account AND x.t > f.arrived
               AND x.t <= f.arrived + to_days(CAST(? AS INTEGER))
              -- a cycle ends the branch, except back to the start (a round trip, reported)
              WHERE NOT list_contains(f.path, x.dst) OR x.dst = f.path[1]
            )
            SELECT account, dst, dst_name, txn_id, t, amount,
                   traced * amount / greatest(total_out, traced) AS share,
                   list_append(path, dst) AS new_path
            FROM outflows
            WHERE traced * amount / greatest(total_out, traced) >= ?
            """,
            [window_days, min_amount],
        )
        rows = con.execute("SELECT * FROM qf_trace_hop ORDER BY t, txn_id").fetchall()
        for src, dst, dst_name, txn_id, t, amt, share, path in rows:
            steps.append(TraceStep(hop, src, dst, dst_name, txn_id, t, float(amt), float(share),
                                   tuple(path)))  # fmt: skip
        # money back at the start is a round trip: reported, followed no further
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_trace_frontier AS SELECT dst AS account, "
            "t AS arrived, share AS traced, new_path AS path FROM qf_trace_hop WHERE dst <> ?",
            [account_no],
        )
        if not con.execute("SELECT count(*) FROM qf_trace_frontier").fetchall()[0][0]:
            break
    con.execute("DROP TABLE IF EXISTS qf_trace_frontier")
    con.execute("DROP TABLE IF EXISTS qf_trace_hop")
    return steps
