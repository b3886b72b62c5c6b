"""Every warning of the synthetic county has an owner whatever the export style its department
files came in: each is visible to the county administrator and to exactly the units its route
names (its responsible unit and the units above it), and to no other unit.

The standard style's county is the demo's: tests/test_demo_routing.py makes the same check on it
(SQLite and PostgreSQL). Here every other style: database codes (`dbcodes`) and the two held-out
styles (`bureau`, `legacy`), each at the smallest county synth makes, ingested with `--yes` and
no saved mapping as `qingfeng drill styles` does."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Organisation, Warning
from qingfeng.synth.county import COUNTY_CODE
from store_helpers import assert_routed_visibility

STYLES = ("dbcodes", "bureau", "legacy")
PERSONS = 3000  # the smallest county synth makes
SEED = 3


def _county(folder: Path, style: str) -> Path:
    """synth in the style → a workspace of the county → ingest → libraries → units → models."""
    from qingfeng.demo_users import ensure_demo_orgs, ensure_supervised_unit
    from qingfeng.ingest import ingest_path
    from qingfeng.lake import connect
    from qingfeng.operations.model_runs import run_models
    from qingfeng.subject_library import build_libraries
    from qingfeng.subject_library.attach import libraries_dir
    from qingfeng.synth import generate
    from qingfeng.workspace import init_workspace

    files = folder / "county"
    written = generate(
        files, PERSONS, SEED, dt.date(2023, 1, 1), dt.date(2023, 12, 31), style=style
    )
    assert written.truth_path is not None
    shutil.move(str(written.truth_path), folder / "truth.json")  # the answer key is no source
    settings = init_workspace(folder / "ws", county_division_code=COUNTY_CODE)
    ingest_path(settings, files, assume_yes=True)
    con = connect(settings)
    try:
        build_libraries(con, libraries_dir(settings.lake_dir))
    finally:
        con.close()
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as s, s.begin():
        county, towns = ensure_demo_orgs(s, COUNTY_CODE)
        ensure_supervised_unit(s, county, towns[0] if towns else None)
    engine.dispose()
    summary = run_models(settings)
    assert not summary.failed, [(r.model_id, r.error) for r in summary.failed]
    return Path(settings.database_url.removeprefix("sqlite:///"))


@pytest.fixture(scope="module", params=STYLES)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The county of one style, built once for the module."""
    yield f"sqlite:///{_county(tmp_path_factory.mktemp(f'routing-{request.param}'), request.param)}"


def test_every_warning_is_visible_to_the_county_and_exactly_its_routed_units(store: str) -> None:
    style = store
    engine = make_engine(store)
    try:
        with session_factory(engine)() as s, s.begin():
            models = set(s.scalars(select(Warning.model_id).distinct()))
            assert len(models) > 10, sorted(models)
            assert assert_routed_visibility(s) > 50
            # a township owns what lies in its area: not everything falls back to the county
            county = s.scalar(
                select(Organisation.id).where(Organisation.division_code == COUNTY_CODE)
            )
            assert s.scalar(select(Warning.id).where(Warning.org_id != county).limit(1)), style
            s.rollback()
    finally:
        engine.dispose()
