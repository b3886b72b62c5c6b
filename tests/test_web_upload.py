"""Uploading a department file on the Data page: the proposed mapping is shown, nothing is
ingested until the person confirms, then the ingest report reconciles every row; unreadable or
unrecognised files are refused with a clear message and nothing is kept."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from ingest_helpers import registry_rows
from qingfeng.store.models import AuditLog
from qingfeng.web.uploads import uploads_dir
from web_helpers import client_for, csrf_from, make_world, sign_in


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def _csv_bytes(rows: list[list[str]], encoding: str = "gb18030") -> bytes:
    out = io.StringIO()
    import csv

    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(client, name: str, content: bytes):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/data").text)
    return client.post(
        "/data/upload", data={"csrf_token": token}, files={"file": (name, content, "text/csv")}
    )


def _kept_uploads(world) -> list[str]:  # type: ignore[no-untyped-def]
    folder = uploads_dir(world.settings)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_upload_shows_the_mapping_and_ingests_only_after_confirmation(world):
    client = sign_in(client_for(world), "data")
    page = client.get("/data")
    assert 'data-testid="upload-form"' in page.text
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows()))
    assert r.status_code == 200, r.text
    assert 'data-testid="upload-preview"' in r.text and "household_registry" in r.text
    assert "公民身份号码" in r.text and "id_no" in r.text
    # Not yet in the lake: the person has not confirmed.
    assert not (world.settings.lake_dir / "_catalogue.json").exists()
    token = r.text.split("/data/upload/")[1].split("/confirm")[0]
    done = client.post(f"/data/upload/{token}/confirm", data={"csrf_token": csrf_from(r.text)})
    assert done.status_code == 200, done.text
    assert 'data-testid="ingest-report"' in done.text
    cells = {
        key: done.text.split(f'data-testid="{key}">')[1].split("<")[0]
        for key in (
            "report-status",
            "rows-read",
            "rows-loaded",
            "rows-quarantined",
            "rows-duplicate",
        )
    }
    assert cells["report-status"] == "loaded"
    read, loaded, quarantined, dup = (
        int(cells[k]) for k in ("rows-read", "rows-loaded", "rows-quarantined", "rows-duplicate")
    )
    assert (
        read == 6
        and read == loaded + quarantined + dup
        and loaded == 3
        and quarantined == 2
        and dup == 1
    )
    assert "household_registry" in client.get("/data").text
    # A token is used once.
    again = client.post(f"/data/upload/{token}/confirm", data={"csrf_token": csrf_from(r.text)})
    assert again.status_code == 404
    with world.factory() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.actor == "data"))]
    assert "data.upload" in actions and "data.ingest" in actions


def test_unrecognised_and_malformed_files_are_refused_and_not_kept(world):
    client = sign_in(client_for(world), "data")
    r = _upload(client, "购物清单.csv", _csv_bytes([["商品", "数量"], ["苹果", "3"]]))
    assert r.status_code == 400 and 'data-testid="upload-error"' in r.text
    assert "无法识别数据集" in r.text
    r = _upload(client, "说明.pdf", b"%PDF-1.4")
    assert r.status_code == 400 and "不是支持的文件类型" in r.text
    r = _upload(client, "坏表.xlsx", b"this is not a workbook")
    assert r.status_code == 400 and "坏表.xlsx" in r.text
    r = _upload(client, "空.csv", b"")
    assert r.status_code == 400 and "空文件" in r.text
    assert _kept_uploads(world) == []
    assert not (world.settings.lake_dir / "_catalogue.json").exists()


def test_size_limit_and_roles(world):
    client = sign_in(client_for(world), "data")
    client.app.state.upload_limit = 1000  # type: ignore[attr-defined]
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows() * 5))
    assert r.status_code in (400, 413) and "大小上限" in r.text
    assert _kept_uploads(world) == []
    builder = sign_in(client_for(world), "builder")  # may see the Data page, not upload
    page = builder.get("/data")
    assert page.status_code == 200 and 'data-testid="upload-form"' not in page.text
    r = builder.post(
        "/data/upload",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": ("a.csv", b"x", "text/csv")},
    )
    assert r.status_code == 403
    assert client.post("/data/upload", files={"file": ("a.csv", b"x")}).status_code == 403


def test_quality_fragment_charts_the_lake_after_an_upload(world):
    client = sign_in(client_for(world), "data")
    empty = client.get("/data/quality", headers={"HX-Request": "true"})
    assert empty.status_code == 200 and 'data-testid="quality"' in empty.text
    assert 'hx-get="/data/quality"' in client.get("/data").text
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows()))
    token = r.text.split("/data/upload/")[1].split("/confirm")[0]
    client.post(f"/data/upload/{token}/confirm", data={"csrf_token": csrf_from(r.text)})
    fragment = client.get("/data/quality", headers={"HX-Request": "true"}).text
    assert 'id="quality-household_registry"' in fragment
    option = json.loads(fragment.split('id="quality-chart-dimensions">')[1].split("</script>")[0])
    assert len(option["series"]) == 3 and option["xAxis"]["data"]
    values = [p["value"] for s in option["series"] for p in s["data"]]
    assert all(0 <= v <= 100 for v in values)
    quarantine = json.loads(
        fragment.split('id="quality-chart-quarantine">')[1].split("</script>")[0]
    )
    # 2 of the 6 rows read were quarantined (1 duplicate removed): 2 / 6 = 33.3 %.
    assert quarantine["series"][0]["data"][0]["value"] == pytest.approx(33.3, abs=0.1)
    assert 'data-testid="cross-checks"' in fragment and "缺少数据" in fragment
