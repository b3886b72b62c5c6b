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


# Files that start a SparkSession (a JVM: tens of seconds to start and warm up). They form one
# unit of work, so one worker starts one JVM for all of them instead of each worker its own. The
# cluster file comes last: by then the demo county it copies is made (the other worker makes it).
SPARK_FILES = (
    "test_engine_spark.py",
    "test_synth_trading_centre.py",
    "test_close_kin_lake.py",
    "test_engine_lake.py",
    "test_engine_cluster.py",
)

# The longest units, longest first. With `--dist loadfile` a file runs whole on one worker;
# handing out the long ones first and the many short ones after lets the two workers finish
# together (longest-processing-time first), where xdist by itself would hand out files by their
# number of tests and leave the long files with few tests (a county, a cluster) to the end. The
# first file makes the demo county while the other worker starts on Spark.
LONGEST_FIRST = (
    "test_demo_routing.py",
    *SPARK_FILES,
    "test_synth_styles.py",
    "test_authz_matrix.py",
    "test_end_to_end.py",
    "test_demo_models.py",
    "test_synth_models.py",
    "test_synth.py",
    "test_subject_library_scale.py",
    "test_web_browser_tools.py",
    "test_web_queues_browser.py",
    "test_portal_browser.py",
    "test_web_browser.py",
    "test_web_notify_browser.py",
    "test_portal_ops_browser.py",
    "test_web_screen_browser.py",
    "test_web_screen_keys_browser.py",
    "test_engine_golden.py",
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # keep the order LONGEST_FIRST gives
        config.option.loadscopereorder = False


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent with `-p no:xdist`
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # type: ignore[no-untyped-def]
    """`--dist loadfile`, with the SPARK_FILES as one unit (see above)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "spark" if scope.rsplit("/", 1)[-1] in SPARK_FILES else scope

    return SparkTogether(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if COUNTY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Browser tests skip before any fixture runs when Chromium is absent (tests/chromium.py).

    A fixture that launches the browser would otherwise error before the test could skip, and
    `make test` on a machine with only Python and make must pass.
    """
    from chromium import chromium, skip_reason

    if item.get_closest_marker("browser") and not chromium().exists():
        pytest.skip(skip_reason())
