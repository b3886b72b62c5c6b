"""The demo pipeline end to end: synthetic county → ingest → models → store → CLI and web page.

The generator's truth file is the answer key: the warnings must be exactly its planted cases for
the model, and none of its decoys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from demo_county import DemoCounty
from qingfeng.cli import app as cli_app
from qingfeng.demo import DemoError, run_demo_pipeline
from qingfeng.demo_users import DEMO_PASSWORD
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.findings import store_warnings
from qingfeng.store.models import Warning
from qingfeng.web.app import create_app
from web_helpers import csrf_from

MODEL = "subsidy_after_death"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_county: DemoCounty):  # type: ignore[no-untyped-def]
    return demo_county.copy(tmp_path_factory.mktemp("e2e") / "ws")


def _truth(demo, kind: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    truth = json.loads(Path(demo.truth_file).read_text(encoding="utf-8"))
    return {
        (p["subject_id"], p["period"])
        for p in truth["planted"]
        if p["model"] == MODEL and p["kind"] == kind
    }


def _warnings(demo) -> list[Warning]:  # type: ignore[no-untyped-def]
    factory = session_factory(make_engine(demo.settings.database_url))
    with factory() as s:
        return list(s.scalars(select(Warning).where(Warning.model_id == MODEL)))


def _lines(demo) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(subject id, period) of every evidence line of the model's leads."""
    found = store_warnings(demo.settings.database_url)
    return {(subject, period) for model, subject, period in found if model == MODEL}


def _subjects(pairs: set[tuple[str, str]]) -> set[str]:
    return {subject for subject, _period in pairs}


def test_warnings_are_exactly_the_planted_cases(demo) -> None:  # type: ignore[no-untyped-def]
    found = _lines(demo)
    cases = _truth(demo, "case")
    assert len(cases) >= 5
    assert found == cases
    assert not found & _truth(demo, "decoy")
    # one lead per person, however many months they were paid after death
    leads = _warnings(demo)
    assert sorted(w.subject_id for w in leads) == sorted(_subjects(cases))
    assert len(leads) < len(cases)  # the demo plants several months for some people


def test_every_warning_explains_itself(demo) -> None:  # type: ignore[no-untyped-def]
    for w in _warnings(demo):
        assert w.status == "new" and w.present
        assert "死亡" in w.explanation and w.subject_name and w.subject_name in w.explanation
        assert w.amount is not None and w.amount > 0
        assert w.evidence["death_date"] < w.evidence["pay_date"]
        assert w.division_code and w.division_code.startswith("522701")


def test_rows_were_loaded_and_counted(demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.files >= 3
    assert demo.rows_loaded > 2000
    assert demo.warnings >= len(_subjects(_truth(demo, "case")))


def test_cli_lists_the_warnings(demo) -> None:  # type: ignore[no-untyped-def]
    args = ["warnings", "list", "--as", "jiandu", "--model", MODEL, "--json"]
    result = CliRunner().invoke(cli_app, [*args, "--workspace", str(demo.settings.workspace)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert len(rows) == len(_subjects(_truth(demo, "case")))
    assert all(row["model_id"] == MODEL for row in rows)
    # personal data is masked in lists: the birth date never shows
    assert all("*" * 8 in row["subject_id"] for row in rows)


def test_web_page_lists_the_warnings_in_chinese(demo) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(demo.settings), follow_redirects=False)
    token = csrf_from(client.get("/login").text)
    signed_in = client.post(
        "/login", data={"username": "jiandu", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 303
    page = client.get(f"/warnings?model={MODEL}&per_page=100")
    assert page.status_code == 200
    assert "预警" in page.text
    names = {w.subject_name for w in _warnings(demo)}
    assert names and all(name in page.text for name in names)


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(DemoError, match="not made by the demo"):
        run_demo_pipeline(tmp_path, persons=100)
    assert (tmp_path / "precious.txt").exists()


def test_demo_no_serve_prints_the_warning_count(demo_county: DemoCounty, demo) -> None:  # type: ignore[no-untyped-def]
    """The run's demo county is made by `qingfeng demo --no-serve` (exit status 0 checked there):
    its last line is the number of warnings the store holds."""
    last = demo_county.output.strip().splitlines()[-1]
    assert last.startswith("预警数量 / warnings:")
    factory = session_factory(make_engine(demo.settings.database_url))
    with factory() as s:
        present = s.scalar(select(func.count()).select_from(Warning).where(Warning.present))
    assert last == f"预警数量 / warnings: {present}"
