"""Audit-log viewer, models page and data page: who may open them and what they show."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from qingfeng.store.models import ModelRun
from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def test_audit_viewer_lists_sign_ins_and_verifies_the_chain(world):
    client = client_for(world)
    token = csrf_from(client.get("/login").text)
    client.post(
        "/login", data={"username": "sup_a", "password": "wrong-pass-1", "csrf_token": token}
    )
    auditor = sign_in(client_for(world), "auditor")
    page = auditor.get("/audit")
    assert page.status_code == 200
    # Actions read as words (the label table), never as their codes.
    assert ">登录失败<" in page.text and ">登录<" in page.text
    filtered = auditor.get("/audit?action=auth.sign_in_failed")
    assert ">登录失败<" in filtered.text and ">登录<" not in filtered.text
    verify = auditor.get("/audit/verify")
    assert 'data-testid="chain-ok"' in verify.text and "未被篡改" in verify.text


def test_audit_viewer_is_for_auditors_and_admins_only(world):
    for user in ("sup_a", "leader", "ver_a", "builder"):
        assert sign_in(client_for(world), user).get("/audit").status_code == 403, user
    assert sign_in(client_for(world), "admin").get("/audit").status_code == 200


def test_audit_filter_errors_name_the_parameter(world):
    auditor = sign_in(client_for(world), "auditor")
    r = auditor.get("/audit?day_from=2024-13-01")
    assert r.status_code == 400 and "day_from" in r.text


def test_models_page_shows_outcomes_and_runs(world):
    with world.factory() as s, s.begin():
        s.add(
            ModelRun(
                run_group="g1",
                model_id="dead_still_paid",
                model_version="1",
                engine="duckdb",
                started_at=datetime(2026, 11, 1, tzinfo=UTC),
                finished_at=datetime(2026, 11, 1, 0, 1, tzinfo=UTC),
                rows_read=12345,
                hits=5,
                new_warnings=5,
                duration_ms=2100,
            )
        )
    page = sign_in(client_for(world), "builder").get("/models")
    assert page.status_code == 200
    assert "dead_still_paid" in page.text and "12,345" in page.text and "运行记录" in page.text
    detail = sign_in(client_for(world), "builder").get("/models/dead_still_paid")
    assert detail.status_code == 200 and "2.1 s" in detail.text
    assert sign_in(client_for(world), "builder").get("/models/nope").status_code == 404


def test_data_page_reads_lake_catalogue_and_reports(world):
    settings = world.settings
    (settings.lake_dir / "_catalogue.json").write_text(
        json.dumps(
            {
                "version": 1,
                "batches": [
                    {
                        "batch_id": "20261123T1-abc",
                        "dataset": "deaths",
                        "source": "民政/火化.csv",
                        "sha256": "x",
                        "created_at": "2026-11-23T10:00:00Z",
                        "files": [],
                        "counts": {"rows_loaded": 90, "rows_quarantined": 7, "rows_duplicate": 3},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    (settings.reports_dir / "ingest-20261123T100000.json").write_text(
        json.dumps(
            {
                "started_at": "2026-11-23T10:00:00Z",
                "reconciled": True,
                "totals": {
                    "rows_read": 100,
                    "rows_loaded": 90,
                    "rows_quarantined": 7,
                    "rows_duplicate": 3,
                },
                "sources": [{"source": "火化.csv", "dataset": "deaths"}],
            }
        ),
        encoding="utf-8",
    )
    (settings.reports_dir / "ingest-20261124T000000.json").write_text("{broken", "utf-8")
    page = sign_in(client_for(world), "data").get("/data")
    assert page.status_code == 200
    assert "deaths" in page.text and "90" in page.text and "火化.csv" in page.text
    assert "ingest-20261124T000000.json" in page.text  # the broken report is listed, not fatal
    assert sign_in(client_for(world), "sup_a").get("/data").status_code == 403


def test_quarantine_browser_masks_and_filters_by_rule(world):
    import duckdb

    settings = world.settings
    qdir = settings.lake_dir / "_quarantine" / "batch=b1"
    qdir.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES "
        "('deaths', 'b1', '火化.csv', 3::BIGINT, 'id_no:check_digit', "
        '\'{"身份证号": "52270119500101001X", "姓名": "王五"}\'), '
        "('deaths', 'b1', '火化.csv', 7::BIGINT, 'death_date:format;id_no:check_digit', "
        '\'{"身份证号": "522701195001010028", "姓名": "赵六", "死亡日期": "2024-13-40"}\')'
        ") t(dataset, _batch_id, source, source_row, rules, original)) "
        f"TO '{qdir / 'part-0.parquet'}' (FORMAT parquet)"
    )
    con.close()
    (settings.lake_dir / "_catalogue.json").write_text(
        json.dumps(
            {
                "version": 1,
                "batches": [
                    {
                        "batch_id": "b1",
                        "dataset": "deaths",
                        "source": "火化.csv",
                        "sha256": "x",
                        "created_at": "2026-11-23T10:00:00Z",
                        "files": [],
                        "quarantine_files": ["_quarantine/batch=b1/part-0.parquet"],
                        "counts": {"rows_quarantined": 2},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    client = sign_in(client_for(world), "data")
    assert "/data/quarantine/b1" in client.get("/data").text
    page = client.get("/data/quarantine/b1")
    assert page.status_code == 200
    assert "共 2 行被隔离" in page.text and "身份证号：校验位错误 (2)" in page.text
    assert "52270119500101001X" not in page.text and "王五" not in page.text
    assert "5227**********001X" in page.text and "2024-13-40" in page.text
    one = client.get("/data/quarantine/b1?rule=death_date:format")
    assert "共 1 行被隔离" in one.text
    assert client.get("/data/quarantine/nope").status_code == 404
    assert sign_in(client_for(world), "sup_a").get("/data/quarantine/b1").status_code == 403
