"""How often `village_benford_deviation` flags ledgers that follow Benford's law exactly.

Amounts drawn log-uniformly over whole decades have first digits distributed exactly as Benford's
law says, so every warning on such a ledger is a false positive. The model itself runs on the
simulated ledgers (DuckDB), one village per ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from qingfeng.engine.testing import run_inline

MODEL_ID = "village_benford_deviation"


@dataclass(frozen=True)
class FalsePositives:
    n: int  # payments per ledger
    ledgers: int
    flagged: int  # by the model
    flagged_mad_only: int  # by MAD > 0.015 alone

    @property
    def rate(self) -> float:
        return self.flagged / self.ledgers

    @property
    def rate_mad_only(self) -> float:
        return self.flagged_mad_only / self.ledgers


_BENFORD = np.log10(1 + 1 / np.arange(1, 10))


def benford_ledgers(n: int, ledgers: int, rng: np.random.Generator) -> np.ndarray:
    """`ledgers` × `n` amounts (yuan, two decimals) from 10 to 1,000,000, Benford-distributed."""
    return np.round(10 ** rng.uniform(1, 6, size=(ledgers, n)), 2)


def _mad(amounts: np.ndarray) -> np.ndarray:
    digits = np.floor(amounts / 10 ** np.floor(np.log10(amounts))).astype(int)
    shares = np.stack([(digits == d).mean(axis=1) for d in range(1, 10)], axis=1)
    return np.abs(shares - _BENFORD).mean(axis=1)


def false_positives(n: int, ledgers: int, seed: int = 0) -> FalsePositives:
    amounts = benford_ledgers(n, ledgers, np.random.default_rng(seed))
    day = dt.date(2024, 6, 1)
    rows: list[dict[str, Any]] = [
        {
            "voucher_no": f"V{v}-{j}",
            "division_code": f"5227010{v:05d}",
            "entry_date": day,
            "amount": float(a),
        }
        for v in range(ledgers)
        for j, a in enumerate(amounts[v])
    ]
    hits = run_inline(MODEL_ID, {"village_ledgers": rows})
    return FalsePositives(n, ledgers, len(hits), int((_mad(amounts) > 0.015).sum()))


def main() -> None:  # python -m qingfeng.model_library.benford_check
    print("| payments per ledger | ledgers | flagged by the model | rate | MAD > 0.015 alone |")
    print("| --- | --- | --- | --- | --- |")
    for n in (50, 100, 200, 500):
        r = false_positives(n, 400, seed=n)
        print(
            f"| {n} | {r.ledgers} | {r.flagged} | {r.rate:.1%} | "
            f"{r.flagged_mad_only} ({r.rate_mad_only:.1%}) |"
        )


if __name__ == "__main__":
    main()
