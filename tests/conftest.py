"""Shared fixtures. Store tests run on SQLite always and on PostgreSQL when QINGFENG_TEST_PG_URL
names a server (CI sets it, and under CI=true a missing server fails instead of skipping)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

PG_URL_ENV = "QINGFENG_TEST_PG_URL"

# Rich wraps CLI output at the terminal width; a wide fixed width keeps long temporary paths
# (and the messages that name them) on one line, whatever runs the tests.
os.environ["COLUMNS"] = "300"


def _pg_base_url() -> str | None:
    return os.environ.get(PG_URL_ENV)


def _require_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty workflow-store URL: a SQLite file, or a new schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = _pg_base_url()
    if not base:
        _require_or_skip(f"{PG_URL_ENV} is not set; PostgreSQL store tests skipped")
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # server down or unreachable
        _require_or_skip(f"PostgreSQL at {base} is unreachable: {exc.__class__.__name__}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def demo_county(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The demo county (`qingfeng demo --no-serve`), made once per run for every worker; take a
    workspace of your own with `.copy(folder)` (tests/demo_county.py)."""
    from demo_county import run_folder, shared_demo_county

    return shared_demo_county(run_folder(tmp_path_factory.getbasetemp()))


# Fixtures that make whole synthetic counties: every test that uses one (directly or through
# another fixture) is marked `slow`, so `pytest -m "not slow"` is the quick loop while editing.
COUNTY_FIXTURES = frozenset({"demo_county", "counties"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if COUNTY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Browser tests skip before any fixture runs when Chromium is absent (tests/chromium.py).

    A fixture that launches the browser would otherwise error before the test could skip, and
    `make test` on a machine with only Python and make must pass.
    """
    from chromium import chromium, skip_reason

    if item.get_closest_marker("browser") and not chromium().exists():
        pytest.skip(skip_reason())
