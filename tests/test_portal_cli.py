"""`qingfeng portal divisions`: loads places, reports every bad row with file and line."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.portal.models import PortalDivision
from qingfeng.store.db import make_engine, session_factory
from qingfeng.workspace import init_workspace


def test_divisions_load_and_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = init_workspace(tmp_path / "ws")
    good = tmp_path / "places.csv"
    good.write_text("code,name\n522723101000,某镇\n522723101201,某镇甲村\n", encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["portal", "divisions", str(good), "-w", str(settings.workspace)])
    assert r.exit_code == 0, r.output
    with session_factory(make_engine(settings.database_url))() as s:
        got = {(d.code, d.name, d.level) for d in s.scalars(select(PortalDivision))}
    assert got == {("522723101000", "某镇", "township"), ("522723101201", "某镇甲村", "village")}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level\n5227231,甲,village\n522723101202,,hamlet\n", encoding="utf-8")
    r = runner.invoke(app, ["portal", "divisions", str(bad), "-w", str(settings.workspace)])
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert "bad.csv:2 code" in out and "bad.csv:3 name" in out and "bad.csv:3 level" in out


def test_portal_config_from_workspace_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from qingfeng.portal.config import PortalConfig

    settings = init_workspace(tmp_path / "ws")
    toml = settings.workspace / "qingfeng.toml"
    toml.write_text(toml.read_text() + "\n[portal]\npage_burst = 7\ncomplaint_rate = 0.01\n")
    cfg = PortalConfig.from_settings(settings)
    assert (cfg.page_burst, cfg.complaint_rate, cfg.track_miss_burst) == (7, 0.01, 5)
    toml.write_text(toml.read_text() + "page_brust = 1\n")
    with pytest.raises(ValueError, match="page_brust"):
        PortalConfig.from_settings(settings)


def test_create_portal_app_serves_public_pages_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from qingfeng.portal import create_portal_app

    settings = init_workspace(tmp_path / "ws")
    client = TestClient(create_portal_app(settings))
    home = client.get("/")
    assert home.status_code == 200 and "阳光公开" in home.text
    assert client.get("/public/complaints/new").status_code == 200
    for staff_path in ("/api/v1/publications", "/api/v1/complaints", "/docs", "/openapi.json"):
        assert client.get(staff_path).status_code == 404


def test_export_complaints_as_standard_dataset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from qingfeng.portal.complaints import ComplaintForm, file_complaint

    settings = init_workspace(tmp_path / "ws")
    factory = session_factory(make_engine(settings.database_url))
    with factory() as s, s.begin():
        s.add(PortalDivision(code="522723101201", name="甲村", level="village"))
        s.flush()
        form = ComplaintForm(
            "522723101201", "conduct", "公车私用", "村支书周末开公车去钓鱼，多人看见。"
        )
        file_complaint(s, form, [], settings.attachments_dir)
    out = tmp_path / "complaints.csv"
    r = CliRunner().invoke(
        app, ["portal", "export-complaints", str(out), "-w", str(settings.workspace)]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["division_code"] == "522723101201"
    assert rows[0]["category"] == "作风问题（四风）" and "公车私用" in rows[0]["content"]
    assert rows[0]["complaint_no"].startswith("TS") and rows[0]["reply"] == ""
