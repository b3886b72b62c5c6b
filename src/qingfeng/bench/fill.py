"""Fill a workflow store with many synthetic warnings, fast (for the page benchmarks).

Rows go in through the DB-API's executemany in large chunks: a million warnings take about
twenty seconds on SQLite. The mix looks like a working county: most old warnings archived, the
recent ones spread over the loop, a tenth overdue, some confirmed with money recovered.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert

from qingfeng.hits import SEVERITIES
from qingfeng.store.models import Warning

MODELS = tuple(f"bench_model_{i:02d}" for i in range(30))
OPEN = ("dispatched", "verifying", "submitted", "disposed", "feedback", "follow_up")
FINDINGS = ("confirmed", "partly_confirmed", "unfounded", "cannot_verify")


def division_codes(county: str, other_counties: tuple[str, ...]) -> list[str]:
    """Village codes: 10 townships × 20 villages in the county, 40 villages in each other."""
    codes = [f"{county}{t:03d}{v:03d}" for t in range(1, 11) for v in range(200, 220)]
    for other in other_counties:
        codes += [f"{other}{t:03d}{v:03d}" for t in range(1, 5) for v in range(200, 210)]
    return codes


def _rows(
    n: int, codes: list[str], org_of: dict[str, int], start_id: int, seed: int
) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for i in range(start_id, start_id + n):
        # Ids grow with time, as runs add warnings; two years in all.
        created = now - timedelta(days=730 * (1 - (i - start_id) / n) + rng.random())
        age_days = (now - created).days
        code = rng.choice(codes)
        if age_days > 60:
            status = rng.choices(("archived", "follow_up", "merged"), (0.95, 0.02, 0.03))[0]
        elif age_days > 20:
            status = rng.choices(
                ("archived", "disposed", "feedback", "follow_up"), (0.6, 0.15, 0.15, 0.1)
            )[0]
        else:
            status = rng.choices(
                ("new", "dispatched", "verifying", "submitted", "returned"), (4, 3, 3, 1, 0.2)
            )[0]
        finding = (
            rng.choice(FINDINGS)
            if status in ("disposed", "feedback", "follow_up", "archived")
            else None
        )
        recovered = (
            Decimal(rng.randint(100, 200_000))
            if finding in ("confirmed", "partly_confirmed") and rng.random() < 0.4
            else None
        )
        due = created + timedelta(days=rng.randint(10, 40)) if status in OPEN else None
        born = f"19{rng.randint(40, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"
        subject = f"{code[:6]}{born}{i % 10000:04d}"
        yield {
            "id": i,
            "fingerprint": f"{i:064x}",
            "model_id": MODELS[i % len(MODELS)],
            "model_version": "1",
            "subject_type": "person",
            "subject_id": subject,
            "subject_name": rng.choice("王李张刘陈杨黄赵吴周")
            + rng.choice("小大明华国建秀")
            + rng.choice("明华英军芳平"),
            "period": created.strftime("%Y-%m"),
            "severity": rng.choices(SEVERITIES, (1, 2, 4, 3))[0],
            "amount": Decimal(rng.randint(50, 50_000)),
            "division_code": code,
            "explanation": "该人员死亡后仍领取补贴（基准测试数据）",
            "evidence": {"payments": rng.randint(1, 12)},
            "status": status,
            "present": True,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "org_id": org_of.get(code[:6]) if status != "new" else None,
            "due_at": due,
            "paused": False,
            "escalation_level": 0,
            "finding": finding,
            "measures": ["funds_recovered"] if recovered else [],
            "funds_recovered": recovered,
            "case_id": None,
        }


def fill_warnings(
    engine: Engine,
    n: int,
    codes: list[str],
    org_of: dict[str, int],
    *,
    chunk: int = 20_000,
    seed: int = 7,
    progress: object = None,
) -> None:
    """Insert `n` warnings with ids 1..n (the store must have none yet)."""
    batch: list[dict[str, object]] = []
    table = Warning.__table__
    with engine.begin() as conn:
        for row in _rows(n, codes, org_of, 1, seed):
            batch.append(row)
            if len(batch) >= chunk:
                conn.execute(insert(table), batch)  # type: ignore[arg-type]
                if callable(progress):
                    progress(len(batch))
                batch = []
        if batch:
            conn.execute(insert(table), batch)  # type: ignore[arg-type]
            if callable(progress):
                progress(len(batch))
