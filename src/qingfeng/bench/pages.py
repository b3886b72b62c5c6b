"""Server-side render time of the back office's main pages with 1,000,000 warnings in the store.

`python -m qingfeng.bench --only pages`. The store is built once under bench-out/pages/ (reused
while it holds the same number of warnings); QINGFENG_BENCH_WARNINGS changes the size. Each page
is requested in-process (TestClient: routing, queries, templates, no network) once to warm up,
then REPEAT times; the table shows the median and the worst, against the 300 ms target.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from qingfeng.settings import new_secret_key

TARGET_MS = 300.0
REPEAT = 5
DEFAULT_WARNINGS = 1_000_000
BENCH_DIR = Path("bench-out") / "pages"
STORE_URL_ENV = "QINGFENG_BENCH_STORE_URL"  # e.g. a PostgreSQL database; default: SQLite
PASSWORD = "bench-pass-2026"
COUNTY = "522701"
OTHER_COUNTIES = ("522702", "522722", "522723", "522725")


@dataclass(frozen=True)
class Timing:
    role: str
    path: str
    median_ms: float
    worst_ms: float
    status: int


def build_store(folder: Path, n: int, console: Console) -> None:
    """A workspace with an organisation tree, one user per role and `n` warnings."""
    import shutil

    from qingfeng.bench.fill import division_codes, fill_warnings
    from qingfeng.store.db import make_engine, refresh_statistics, session_factory
    from qingfeng.store.models import Warning
    from qingfeng.store.users import create_org, create_user
    from qingfeng.workspace import init_workspace

    store_url = os.environ.get(STORE_URL_ENV)
    if store_url and not (folder / "qingfeng.toml").exists():
        # The workspace's settings point at the server; init_workspace keeps an existing file.
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "qingfeng.toml").write_text(
            f'secret_key = "{new_secret_key()}"\nstore_url = "{store_url}"\n', encoding="utf-8"
        )
    if (folder / "qingfeng.db").exists() or (store_url and (folder / "lake").exists()):
        settings = init_workspace(folder)
        engine = make_engine(settings.database_url)
        with engine.connect() as conn:
            have = conn.scalar(select(func.count()).select_from(Warning.__table__))
        engine.dispose()
        if have == n:
            console.print(f"reusing {folder} ({n:,} warnings)")
            return
        if store_url:
            raise RuntimeError(f"{store_url} holds {have:,} warnings, not {n:,}: empty it first")
        shutil.rmtree(folder)
    settings = init_workspace(folder, county_division_code=COUNTY)
    engine = make_engine(settings.database_url)
    org_of: dict[str, int] = {}
    with session_factory(engine)() as s, s.begin():
        province = create_org(s, "贵州省纪委监委", "province", "52")
        city = create_org(s, "黔南州纪委监委", "city", "5227", province)
        county = create_org(s, "都匀市纪委监委", "county", COUNTY, city)
        org_of[COUNTY] = county.id
        for t in range(1, 11):
            create_org(s, f"第{t}乡镇纪委", "township", f"{COUNTY}{t:03d}", county)
        for code in OTHER_COUNTIES:
            org_of[code] = create_org(s, f"{code}县纪委监委", "county", code, city).id
        for username, role, org in (
            ("b_admin", "administrator", province),
            ("b_leader", "leader", city),
            ("b_sup", "supervisor", county),
            ("b_auditor", "auditor", province),
            ("b_builder", "model_builder", city),
            ("b_data", "data_officer", city),
            ("b_ver", "verifier", county),
        ):
            create_user(s, username, PASSWORD, role, org.id, username)
    codes = division_codes(COUNTY, OTHER_COUNTIES)
    with Progress(console=console) as progress:
        task = progress.add_task(f"filling {n:,} warnings", total=n)
        fill_warnings(engine, n, codes, org_of, progress=lambda k: progress.advance(task, k))
    _score(engine, settings, console)
    # Fresh planner statistics, as after any large write (the daily digest refreshes them):
    # without them PostgreSQL plans deep pages of a just-filled table badly.
    refresh_statistics(engine)
    engine.dispose()


def _score(engine: Any, settings: Any, console: Console) -> None:
    """The risk scores, as `qingfeng run` computes them after its sync."""
    from qingfeng.loop.config import load_loop_config
    from qingfeng.loop.risk import recompute_risk
    from qingfeng.settings import SETTINGS_FILE
    from qingfeng.store.db import session_factory

    started = time.perf_counter()
    with session_factory(engine)() as s, s.begin():
        changed = recompute_risk(s, load_loop_config(settings.workspace / SETTINGS_FILE))
    elapsed = time.perf_counter() - started
    console.print(f"risk scores of {changed:,} open warnings in {elapsed:.1f} s")


def _sign_in(client, username: str) -> None:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if r.status_code != 303:
        raise RuntimeError(f"bench sign-in as {username} failed: {r.status_code}")


def time_pages(folder: Path, pages: list[tuple[str, str]], repeat: int = REPEAT) -> list[Timing]:
    from fastapi.testclient import TestClient

    from qingfeng.web.app import create_app
    from qingfeng.workspace import open_workspace

    app = create_app(open_workspace(folder))
    timings: list[Timing] = []
    clients: dict[str, TestClient] = {}
    with TestClient(app, follow_redirects=False) as anonymous:
        del anonymous
        for role, path in pages:
            if role not in clients:
                clients[role] = TestClient(app, follow_redirects=False)
                _sign_in(clients[role], role)
            client = clients[role]
            status = client.get(path).status_code  # warm-up (and caches, as in real use)
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                status = response.status_code
            timings.append(Timing(role, path, statistics.median(samples), max(samples), status))
    return timings


def default_pages(subject_id: str, warning_id: int) -> list[tuple[str, str]]:
    """The main pages, as the roles that use them open them (a county supervisor, the city
    leader, the province administrator, ...). `subject_id`/`warning_id`: one of the supervisor's."""
    return [
        ("b_sup", "/warnings"),
        ("b_sup", "/warnings?queue=to_dispatch"),
        ("b_sup", "/warnings?queue=to_review"),
        ("b_sup", "/warnings?queue=due_soon"),
        ("b_sup", "/warnings?queue=overdue"),
        ("b_ver", "/warnings?queue=to_accept"),
        ("b_ver", "/warnings?queue=verifying"),
        ("b_sup", "/warnings?severity=red&status=new"),
        ("b_sup", "/warnings?q=王小"),
        ("b_sup", f"/warnings?q={subject_id}"),
        ("b_sup", "/warnings?sort=amount"),
        ("b_sup", "/warnings?sort=due&page=50"),
        ("b_sup", "/warnings?due=overdue"),
        ("b_sup", "/warnings?field=other&region=522701001&month=2025-06"),
        ("b_sup", f"/warnings/{warning_id}"),
        ("b_sup", f"/people/w/{warning_id}"),
        ("b_leader", "/warnings"),
        ("b_admin", "/warnings?page=200"),
        ("b_leader", "/dashboard"),
        ("b_sup", "/dashboard"),
        ("b_admin", "/dashboard"),
        ("b_leader", "/dashboard/screen"),
        ("b_sup", "/dashboard/screen?metric=amount"),
        ("b_sup", "/warnings?open=1&region=522701001&density=compact"),
        ("b_sup", "/warnings?period=2025-06"),
        ("b_auditor", "/audit"),
        ("b_builder", "/models"),
        ("b_data", "/data"),
    ]


def sample_warning(folder: Path) -> tuple[str, int]:
    """A warning in the supervisor's county from the middle of the store."""
    from qingfeng.store.db import make_engine
    from qingfeng.store.models import Warning
    from qingfeng.workspace import open_workspace

    engine = make_engine(open_workspace(folder).database_url)
    with engine.connect() as conn:
        middle = (conn.scalar(select(func.max(Warning.id))) or 0) // 2
        row = conn.execute(
            select(Warning.subject_id, Warning.id)
            .where(Warning.division_code.startswith(COUNTY), Warning.id >= middle)
            .order_by(Warning.id)
            .limit(1)
        ).one()
    engine.dispose()
    return str(row[0]), int(row[1])


def cube_build_ms(folder: Path) -> tuple[float, int]:
    """Cold build time of the dashboard's cube (it is then cached and rebuilt in the background)."""
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.web.queries.dashboard import build_cube
    from qingfeng.workspace import open_workspace

    engine = make_engine(open_workspace(folder).database_url)
    with session_factory(engine)() as s:
        cube = build_cube(s)
    engine.dispose()
    return cube.build_ms, cube.rows


def screen_build_ms(folder: Path) -> float:
    """Cold build time of the big screen's figures (villages, periods; cached like the cube)."""
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.web.queries.screen import build_screen
    from qingfeng.workspace import open_workspace

    engine = make_engine(open_workspace(folder).database_url)
    with session_factory(engine)() as s:
        screen = build_screen(s)
    engine.dispose()
    return screen.build_ms


def run(
    console: Console,
    pages: Callable[[str, int], list[tuple[str, str]]] = default_pages,
) -> None:
    n = int(os.environ.get("QINGFENG_BENCH_WARNINGS", DEFAULT_WARNINGS))
    folder = BENCH_DIR.resolve()
    if os.environ.get(STORE_URL_ENV):
        folder = folder.with_name("pages-" + os.environ[STORE_URL_ENV].split(":")[0].split("+")[0])
    started = time.perf_counter()
    build_store(folder, n, console)
    console.print(f"store ready in {time.perf_counter() - started:.1f} s")
    build_ms, groups = cube_build_ms(folder)
    console.print(
        f"dashboard cube, cold build: {build_ms:,.0f} ms ({groups:,} groups); "
        "cached, rebuilt in the background after a minute or a change"
    )
    screen_ms = screen_build_ms(folder)
    console.print(f"big screen figures, cold build: {screen_ms:,.0f} ms; cached alike")
    timings = time_pages(folder, pages(*sample_warning(folder)))
    table = Table(title=f"Back-office pages, {n:,} warnings (server-side, median of {REPEAT})")
    for col in ("user", "page", "HTTP", "median ms", "worst ms", f"< {TARGET_MS:.0f} ms"):
        table.add_column(col)
    for t in timings:
        ok = t.median_ms < TARGET_MS and t.status == 200
        table.add_row(
            t.role,
            t.path,
            str(t.status),
            f"{t.median_ms:.1f}",
            f"{t.worst_ms:.1f}",
            "[green]yes[/]" if ok else "[red]NO[/]",
        )
    console.print(table)
