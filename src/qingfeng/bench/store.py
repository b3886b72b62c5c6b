"""Workflow-store benchmark: a filtered, sorted page of 1,000,000 warnings, and bulk dispatch.

`python -m qingfeng.bench --only store`. Targets: one page < 200 ms on SQLite and on
PostgreSQL; dispatching 10,000 warnings at once < 10 s.

The stores are built once and reused while they hold the same number of warnings: SQLite under
bench-out/store/, PostgreSQL in schema `bench_store` of $QINGFENG_BENCH_PG_URL (or
$QINGFENG_TEST_PG_URL; skipped when neither is set). QINGFENG_BENCH_WARNINGS changes the size.
Pages go through the same service the API calls (`qingfeng.loop.query.list_warnings`) as a
county supervisor and as a township supervisor; each query runs once to warm up, then REPEAT
times (median and worst shown). Bulk dispatch runs in a transaction that is rolled back, so the
store stays the same between runs.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine, func, insert, select, text

PAGE_TARGET_MS = 200.0
DISPATCH_TARGET_S = 10.0
# A recorded finding rescores its model inside the action's request.
OUTCOME_RESCORE_TARGET_S = 1.0
DISPATCH_N = 10_000
REPEAT = 5
DEFAULT_WARNINGS = 1_000_000
BENCH_DIR = Path("bench-out") / "store"
PG_SCHEMA = "bench_store"
COUNTY = "522701"
OTHER_COUNTIES = ("522702", "522722", "522723", "522725")
MODELS = tuple(f"bench_model_{i:02d}" for i in range(30))
SEVERITIES = ("red", "orange", "yellow", "blue")
OPEN = ("dispatched", "verifying", "submitted", "disposed", "feedback", "follow_up")
FINDINGS = ("confirmed", "partly_confirmed", "unfounded", "cannot_verify")


def _codes() -> list[str]:
    """Village codes: 10 townships × 20 villages in the county, 40 villages in each other."""
    codes = [f"{COUNTY}{t:03d}{v:03d}" for t in range(1, 11) for v in range(200, 220)]
    for other in OTHER_COUNTIES:
        codes += [f"{other}{t:03d}{v:03d}" for t in range(1, 5) for v in range(200, 210)]
    return codes


def _rows(n: int, org_of: dict[str, int], seed: int = 11) -> Iterator[dict[str, Any]]:
    """Two years of warnings, ids growing with time: old ones mostly archived, recent ones
    spread over the loop, about 2 % still new (over 10,000 in the county at a million)."""
    rng = random.Random(seed)
    codes = _codes()
    now = datetime.now(UTC)
    for i in range(1, n + 1):
        created = now - timedelta(days=730 * (1 - i / n), seconds=rng.randint(0, 3600))
        age = (now - created).days
        code = rng.choice(codes)
        if age > 60:
            status = rng.choices(("archived", "follow_up", "merged"), (0.95, 0.02, 0.03))[0]
        elif age > 30:
            status = rng.choices(
                ("archived", "disposed", "feedback", "follow_up"), (0.6, 0.15, 0.15, 0.1)
            )[0]
        else:
            status = rng.choices(
                ("new", "dispatched", "verifying", "submitted", "returned"), (8, 3, 3, 1, 0.2)
            )[0]
        finding = rng.choice(FINDINGS) if status in (*OPEN[3:], "archived") else None
        recovered = (
            rng.randint(100, 200_000)
            if finding in ("confirmed", "partly_confirmed") and rng.random() < 0.4
            else None
        )
        due = created + timedelta(days=rng.randint(5, 40)) if status in OPEN else None
        yield {
            "id": i,
            "fingerprint": f"{i:064x}",
            "model_id": MODELS[rng.randrange(len(MODELS))],
            "model_version": "1",
            "subject_type": "person",
            "subject_id": f"{code[:6]}19{rng.randint(40, 99)}0{rng.randint(1, 9)}1{i % 10:01d}"
            f"{i % 10000:04d}",
            "subject_name": rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("小明华英军芳平"),
            "period": created.strftime("%Y-%m"),
            "severity": rng.choices(SEVERITIES, (1, 2, 4, 3))[0],
            "amount": rng.randint(50, 50_000),
            "division_code": code,
            "explanation": "该人员死亡后仍领取补贴（基准测试数据）",
            "evidence": {"payments": rng.randint(1, 12)},
            "status": status,
            "present": True,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "org_id": org_of[code[:6]] if status not in ("new", "returned") else None,
            "due_at": due,
            "paused": False,
            "escalation_level": 0,
            "finding": finding,
            "measures": ["funds_recovered"] if recovered else [],
            "funds_recovered": recovered,
        }


def _fill_sqlite(
    engine: Engine, n: int, org_of: dict[str, int], tick: Callable[[int], None]
) -> None:
    from qingfeng.store.models import Warning

    table = Warning.__table__
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in _rows(n, org_of):
            batch.append(row)
            if len(batch) == 20_000:
                conn.execute(insert(table), batch)  # type: ignore[arg-type]
                tick(len(batch))
                batch = []
        if batch:
            conn.execute(insert(table), batch)  # type: ignore[arg-type]
            tick(len(batch))


COPY_COLUMNS = (
    "id", "fingerprint", "model_id", "model_version", "subject_type", "subject_id",
    "subject_name", "period", "severity", "amount", "division_code", "explanation", "evidence",
    "status", "present", "created_at", "updated_at", "version", "org_id", "due_at", "paused",
    "escalation_level", "finding", "measures", "funds_recovered",
)  # fmt: skip


def _fill_postgres(
    engine: Engine, n: int, org_of: dict[str, int], tick: Callable[[int], None]
) -> None:
    """COPY: a million rows in seconds instead of minutes of INSERTs."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        statement = f"COPY warnings ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        with cur.copy(statement) as copy:
            for done, row in enumerate(_rows(n, org_of), start=1):
                row["evidence"] = json.dumps(row["evidence"])
                row["measures"] = json.dumps(row["measures"])
                copy.write_row([row[c] for c in COPY_COLUMNS])
                if done % 20_000 == 0:
                    tick(20_000)
        cur.execute("SELECT setval(pg_get_serial_sequence('warnings', 'id'), %s)", (n,))
        raw.commit()
    finally:
        raw.close()


@dataclass
class Store:
    name: str
    url: str
    engine: Engine


def _build(name: str, url: str, n: int, console: Console) -> Store:
    """Migrate, and fill unless the store already holds exactly n warnings."""
    from qingfeng.store.db import make_engine, refresh_statistics, session_factory, upgrade_store
    from qingfeng.store.models import Organisation, User, Warning
    from qingfeng.store.users import create_org, hash_password

    upgrade_store(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Warning.__table__))
    if have == n:
        console.print(f"{name}: reusing the store ({n:,} warnings)")
        _ensure_verifier(engine)
        _ensure_scored(name, engine, console)
        return Store(name, url, engine)
    if have:
        raise SystemExit(
            f"{name}: the bench store holds {have:,} warnings, not {n:,}; remove it "
            f"({BENCH_DIR} or schema {PG_SCHEMA}) or set QINGFENG_BENCH_WARNINGS"
        )
    factory = session_factory(engine)
    org_of: dict[str, int] = {}
    with factory() as s, s.begin():
        if s.scalar(select(func.count()).select_from(Organisation)) == 0:
            province = create_org(s, "贵州省纪委监委", "province", "52")
            city = create_org(s, "黔南州纪委监委", "city", "5227", province)
            county = create_org(s, "都匀市纪委监委", "county", COUNTY, city)
            for t in range(1, 11):
                create_org(s, f"第{t}乡镇纪委", "township", f"{COUNTY}{t:03d}", county)
            for code in OTHER_COUNTIES:
                create_org(s, f"{code}县纪委监委", "county", code, city)
            pw = hash_password("bench-pass-2026")
            township1 = s.scalar(
                select(Organisation).where(Organisation.division_code == f"{COUNTY}001")
            )
            assert township1 is not None
            for username, org in (("bench_county", county), ("bench_town", township1)):
                user = User(username=username, display_name=username, password_hash=pw)
                user.role, user.org_id, user.active, user.failed_logins = (
                    "supervisor",
                    org.id,
                    True,
                    0,
                )
                s.add(user)
        for o in s.scalars(select(Organisation).where(Organisation.kind == "county")):
            assert o.division_code is not None
            org_of[o.division_code] = o.id
    fill = _fill_postgres if url.startswith("postgresql") else _fill_sqlite
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{name}: filling {n:,} warnings", total=n)
        started = time.perf_counter()
        fill(engine, n, org_of, lambda k: progress.advance(task, k))
    console.print(f"{name}: filled {n:,} warnings in {time.perf_counter() - started:.0f} s")
    _ensure_verifier(engine)
    _ensure_scored(name, engine, console)
    refresh_statistics(engine)  # as the daily digest keeps them in a working store
    return Store(name, url, engine)


def _ensure_verifier(engine: Engine) -> None:
    """A county verifier, whose queues hold what is dispatched to the county's commission."""
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import Organisation, User

    with session_factory(engine)() as s, s.begin():
        if s.scalar(select(User.id).where(User.username == "bench_ver")) is not None:
            return
        county = s.scalar(select(Organisation).where(Organisation.division_code == COUNTY))
        assert county is not None
        pw = s.scalar(select(User.password_hash).where(User.username == "bench_county"))
        s.add(
            User(
                username="bench_ver", display_name="bench_ver", password_hash=pw,
                role="verifier", org_id=county.id, active=True, failed_logins=0,
            )
        )  # fmt: skip


def _ensure_scored(name: str, engine: Engine, console: Console) -> None:
    """Score the store's open warnings (qingfeng.loop.risk), timed: what `qingfeng run` adds
    after its sync when every score must be computed afresh."""
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.risk import CLOSED, recompute_risk
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import Warning

    with session_factory(engine)() as s, s.begin():
        pending = s.scalar(
            select(Warning.id)
            .where(Warning.risk_parts.is_(None), Warning.status.not_in(CLOSED))
            .limit(1)
        )
        if pending is None:
            return
        started = time.perf_counter()
        changed = recompute_risk(s, LoopConfig())
    console.print(
        f"{name}: risk scores of {changed:,} open warnings computed in "
        f"{time.perf_counter() - started:.1f} s (set-based, once per run)"
    )


def _sqlite(n: int, console: Console) -> Store:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return _build("SQLite", f"sqlite:///{(BENCH_DIR / f'store-{n}.db').resolve()}", n, console)


def _postgres(n: int, console: Console) -> Store | None:
    base = os.environ.get("QINGFENG_BENCH_PG_URL") or os.environ.get("QINGFENG_TEST_PG_URL")
    if not base:
        console.print("PostgreSQL: skipped (set QINGFENG_BENCH_PG_URL or QINGFENG_TEST_PG_URL)")
        return None
    from sqlalchemy import create_engine

    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}_{n}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return _build("PostgreSQL", f"{base}{sep}options=-csearch_path%3D{PG_SCHEMA}_{n}", n, console)


# (label, acting user, query fields)
QUERIES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("全部·最新 all, newest first", "bench_county", {"sort": "-created_at"}),
    ("新预警·最新 new, newest first", "bench_county", {"status": ["new"]}),
    (
        "红色在办·按期限 red in progress, by due date",
        "bench_county",
        {"status": ["dispatched", "verifying"], "severity": ["red"], "sort": "due_at"},
    ),
    ("超期·按期限 overdue, by due date", "bench_county", {"due": "overdue", "sort": "due_at"}),
    (
        "单个模型·按金额 one model, by amount",
        "bench_county",
        {"model_id": ["bench_model_07"], "sort": "-amount"},
    ),
    ("已归档·第20页 archived, page 20", "bench_county", {"status": ["archived"], "offset": 950}),
    ("乡镇·最新 township, newest first", "bench_town", {"sort": "-created_at"}),
    (
        "乡镇·黄色·按金额 township yellow by amount",
        "bench_town",
        {"severity": ["yellow"], "sort": "-amount"},
    ),
    # migration 0510_queues: the ranked list and each queue
    ("全部·按风险 all, highest risk first", "bench_county", {"sort": "-risk"}),
    ("乡镇·按风险 township, highest risk first", "bench_town", {"sort": "-risk"}),
    ("待分办 queue to dispatch (risk)", "bench_county", {"queue": "to_dispatch", "sort": "-risk"}),
    ("待审核 queue to review (risk)", "bench_county", {"queue": "to_review", "sort": "-risk"}),
    ("临期 queue due soon", "bench_county", {"queue": "due_soon", "sort": "due_at"}),
    ("超期 queue overdue", "bench_county", {"queue": "overdue", "sort": "due_at"}),
    ("核查员·待签收 verifier to accept", "bench_ver", {"queue": "to_accept", "sort": "due_at"}),
    ("核查员·待核查 verifier to verify", "bench_ver", {"queue": "verifying", "sort": "due_at"}),
)
# Whose sidebar badges (every queue of the role, counted up to the cap) are timed.
BADGE_USERS = ("bench_county", "bench_ver")


@dataclass(frozen=True)
class Timing:
    label: str
    median_ms: float
    worst_ms: float
    rows: int


def _time_pages(store: Store) -> list[Timing]:
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.query import WarningQuery, list_warnings
    from qingfeng.loop.service import actor_for
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import User

    config = LoopConfig()
    factory = session_factory(store.engine)
    out = []
    for label, username, fields in QUERIES:
        q = WarningQuery(limit=50, **fields)
        samples = []
        rows = 0
        for i in range(REPEAT + 1):
            with factory() as s:
                started = time.perf_counter()
                # a fresh session each time, user lookup included: what one API request does
                user = s.scalar(select(User).where(User.username == username))
                assert user is not None
                page = list_warnings(actor_for(s, user, config), q)
                elapsed = (time.perf_counter() - started) * 1000
                rows = len(page.items)
            if i:  # the first run warms the caches
                samples.append(elapsed)
        out.append(Timing(label, statistics.median(samples), max(samples), rows))
    from qingfeng.loop.queues import queue_counts

    for username in BADGE_USERS:
        samples = []
        for i in range(REPEAT + 1):
            with factory() as s:
                started = time.perf_counter()
                user = s.scalar(select(User).where(User.username == username))
                assert user is not None
                counts = queue_counts(actor_for(s, user, config))
                elapsed = (time.perf_counter() - started) * 1000
            if i:
                samples.append(elapsed)
        label = f"角标 badges of {username} ({len(counts)} queues)"
        out.append(Timing(label, statistics.median(samples), max(samples), len(counts)))
    return out


def _time_dispatch(store: Store) -> tuple[float, int]:
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.query import WarningQuery, filtered
    from qingfeng.loop.service import actor_for, bulk_dispatch
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import User, Warning

    factory = session_factory(store.engine)
    with factory() as s:
        s.begin()
        user = s.scalar(select(User).where(User.username == "bench_county"))
        assert user is not None
        actor = actor_for(s, user, LoopConfig())
        ids = list(
            s.scalars(
                filtered(actor, WarningQuery(status=["new"]))
                .with_only_columns(Warning.id)
                .order_by(Warning.id)
                .limit(DISPATCH_N)
            )
        )
        started = time.perf_counter()
        # routed by division code to the townships, with a deadline and instructions
        result = bulk_dispatch(actor, ids, instructions="请限期核查并反馈", days=15)
        s.flush()
        elapsed = time.perf_counter() - started
        s.rollback()  # leave the store as it was
    return elapsed, result.dispatched


def _time_outcome_rescore(store: Store) -> tuple[float, int]:
    """What one recorded outcome costs in scores: every open warning of its model rescored
    (rolled back afterwards)."""
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.risk import rescore_precision
    from qingfeng.store.db import session_factory
    from qingfeng.store.models import Warning

    factory = session_factory(store.engine)
    with factory() as s:
        s.begin()
        s.execute(
            Warning.__table__.update()  # type: ignore[attr-defined]
            .where(Warning.__table__.c.model_id == MODELS[3])
            .where(Warning.__table__.c.status == "archived")
            .where(Warning.__table__.c.finding == "unfounded")
            .values(finding="confirmed")
        )  # the model's precision moves, as after a run of findings
        started = time.perf_counter()
        changed = rescore_precision(s, LoopConfig(), MODELS[3])
        elapsed = time.perf_counter() - started
        s.rollback()
    return elapsed, changed


def run(console: Console) -> dict[str, bool]:
    n = int(os.environ.get("QINGFENG_BENCH_WARNINGS", DEFAULT_WARNINGS))
    console.rule(f"[bold]workflow store: {n:,} warnings")
    stores = [s for s in (_sqlite(n, console), _postgres(n, console)) if s is not None]
    table = Table(
        title=f"一页 50 条 / one page of 50 of {n:,} warnings (target < {PAGE_TARGET_MS:.0f} ms)"
    )
    table.add_column("query")
    for store in stores:
        table.add_column(f"{store.name} median ms", justify="right")
        table.add_column(f"{store.name} worst ms", justify="right")
    results = {store.name: _time_pages(store) for store in stores}
    labels = [label for label, _, _ in QUERIES] + [f"角标 badges of {u}" for u in BADGE_USERS]
    for i, label in enumerate(labels):
        cells = [label]
        for store in stores:
            t = results[store.name][i]
            style = "green" if t.median_ms < PAGE_TARGET_MS else "bold red"
            cells += [f"[{style}]{t.median_ms:.1f}[/]", f"{t.worst_ms:.1f}"]
        table.add_row(*cells)
    console.print(table)
    passed = all(t.median_ms < PAGE_TARGET_MS for ts in results.values() for t in ts)
    for store in stores:
        elapsed, count = _time_dispatch(store)
        style = "green" if elapsed < DISPATCH_TARGET_S else "bold red"
        console.print(
            f"{store.name}: 批量分办 / bulk dispatch of {count:,} warnings: "
            f"[{style}]{elapsed:.2f} s[/] (target < {DISPATCH_TARGET_S:.0f} s)"
        )
        passed = passed and elapsed < DISPATCH_TARGET_S
        elapsed, changed = _time_outcome_rescore(store)
        style = "green" if elapsed < OUTCOME_RESCORE_TARGET_S else "bold red"
        console.print(
            f"{store.name}: 一个模型的核查结果变化后重算风险分 / rescoring one model after its "
            f"outcomes changed: {changed:,} warnings in [{style}]{elapsed:.2f} s[/] "
            f"(target < {OUTCOME_RESCORE_TARGET_S:.0f} s)"
        )
        passed = passed and elapsed < OUTCOME_RESCORE_TARGET_S
        store.engine.dispose()
    return {"passed": passed}
