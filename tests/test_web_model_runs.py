"""Running models from the Models page: a background run over a real (small) lake, the progress
fragment the page polls, the run's rows in model_runs, one run at a time, and who may start it."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from built_in_models import built_in_models
from qingfeng.engine import DuckDBEngine
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.operations.model_runs import run_models
from qingfeng.store.models import AuditLog, ModelRun, Warning, WarningLine
from qingfeng.web.model_runs import ModelRunner
from web_helpers import client_for, csrf_from, make_world, sign_in

lake_mod = pytest.importorskip("qingfeng.lake")
MODEL = "subsidy_after_death"


def _publish(lake_dir: Path, dataset: str, rows: list[dict]) -> None:
    """Write rows as one Parquet batch and publish it through the lake's own API."""
    lake = lake_mod.Lake(lake_dir)
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    batch_id = lake_mod.new_batch_id(digest)
    staging = lake.staging_dir(batch_id)
    engine = DuckDBEngine()
    engine.register_rows(dataset, column_types_for(dataset, rows, default_catalogue()), rows)
    engine.con.execute(f"COPY {dataset} TO '{staging / 'part-0.parquet'}' (FORMAT parquet)")
    engine.close()
    rel = f"{dataset}/batch={batch_id}"
    lake.publish(
        lake_mod.Batch(
            batch_id=batch_id,
            dataset=dataset,
            source=f"test-{dataset}.csv",
            sha256=digest,
            created_at=lake_mod.store.now_iso(),
            files=[f"{rel}/part-0.parquet"],
            counts={"rows": len(rows)},
        ),
        {rel: staging},
    )


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    for dataset, rows in built_in_models().get(MODEL).tests[0].tables.items():
        _publish(world.settings.lake_dir, dataset, rows)
    return world


def _wait_done(client, timeout: float = 60.0) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = client.get("/models/run/progress", headers={"HX-Request": "true"}).text
        if 'data-state="running"' not in fragment:
            return fragment
        assert 'hx-trigger="every 1s"' in fragment  # the page keeps polling while it runs
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def test_a_model_builder_runs_a_model_and_watches_it_finish(world):
    client = sign_in(client_for(world), "builder")
    page = client.get("/models")
    assert 'data-testid="run-form"' in page.text and 'data-state="idle"' in page.text
    r = client.post(
        "/models/run",
        data={"csrf_token": csrf_from(page.text), "model_ids": MODEL},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and 'data-testid="run-progress"' in r.text
    fragment = _wait_done(client)
    assert 'data-state="done"' in fragment and "1 / 1" in fragment
    assert "hx-trigger" not in fragment  # polling stops
    assert 'data-testid="run-results"' in fragment and MODEL in fragment
    with world.factory() as s:
        runs = s.scalars(select(ModelRun).where(ModelRun.model_id == MODEL)).all()
        assert len(runs) == 1 and runs[0].error is None and runs[0].hits == 2
        # the two hits are two months of one person: one lead with two evidence lines
        assert runs[0].new_warnings == 1
        leads = s.scalars(select(Warning).where(Warning.model_id == MODEL)).all()
        assert len(leads) == 1
        lines = s.scalars(select(WarningLine).where(WarningLine.warning_id == leads[0].id))
        assert len(lines.all()) == 2
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "models.run")).all()
        assert [a.actor for a in audit] == ["builder"]
    # The run history on the page now lists it.
    assert "run-results" in client.get("/models").text
    # The model page shows the profile and the values the run used, and each citation's status.
    detail = client.get(f"/models/{MODEL}").text
    assert "最近一次运行使用的参数方案" in detail and "全国默认方案" in detail
    assert "运行所用值" in detail and "red_amount" in detail
    assert "［已核实］《社会救助暂行办法》第六十八条" in detail and "［待核实］" in detail


def test_a_second_run_is_refused_while_one_is_going(world):
    release = threading.Event()

    def held_run(settings, **kwargs):  # type: ignore[no-untyped-def]
        # The real engine run, kept open until the test has asked for a second one.
        release.wait(30)
        return run_models(settings, **kwargs)

    client = sign_in(client_for(world), "admin")
    client.app.state.model_runner = ModelRunner(run=held_run)  # type: ignore[attr-defined]
    token = csrf_from(client.get("/models").text)
    first = client.post("/models/run", data={"csrf_token": token, "model_ids": MODEL})
    assert first.status_code == 303
    running = client.get("/models/run/progress").text
    assert 'data-state="running"' in running and "0 / 1" in running
    assert 'data-testid="run-current"' in running
    second = client.post("/models/run", data={"csrf_token": token, "model_ids": MODEL})
    assert second.status_code == 409 and "已有一次模型运行正在进行" in second.text
    release.set()
    assert 'data-state="done"' in _wait_done(client)
    client.app.state.model_runner.join(10)  # type: ignore[attr-defined]


def test_only_model_builders_and_admins_may_start_runs(world):
    for user in ("sup_a", "leader"):
        client = sign_in(client_for(world), user)
        page = client.get("/models")
        assert page.status_code == 200 and 'data-testid="run-form"' not in page.text
        r = client.post("/models/run", data={"csrf_token": csrf_from(page.text)})
        assert r.status_code == 403, user
    builder = sign_in(client_for(world), "builder")
    assert builder.post("/models/run", data={"model_ids": MODEL}).status_code == 403  # no CSRF
    token = csrf_from(builder.get("/models").text)
    r = builder.post("/models/run", data={"csrf_token": token, "model_ids": "no_such_model"})
    assert r.status_code == 400 and "no_such_model" in r.text
    with world.factory() as s:
        assert s.scalars(select(ModelRun)).all() == []
