"""Uploading a department file on the Data page: the proposed mapping is shown, nothing is
ingested until the person confirms, then the ingest report reconciles every row; unreadable or
unrecognised files are refused with a clear message and nothing is kept."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from ingest_helpers import REGISTRY_HEADERS, ROSTER_HEADERS, registry_rows, roster_rows
from qingfeng.ingest.mapping import find_mapping
from qingfeng.lake import connect
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
    # An unrecognised table is still shown as the mapping form: the person must choose the
    # dataset, nothing is ingested until then, and cancelling deletes the file.
    r = _upload(client, "购物清单.csv", _csv_bytes([["商品", "颜色"], ["苹果", "红"]]))
    assert r.status_code == 200 and 'data-testid="mapping-table"' in r.text
    assert "无法识别数据集" in r.text
    token, values = _token(r.text), _form(r.text)
    assert values["t0-dataset"] == ""
    refused = client.post(f"/data/upload/{token}/confirm", data=values)
    assert refused.status_code == 400 and "请选择数据集" in refused.text
    client.post(f"/data/upload/{token}/cancel", data={"csrf_token": values["csrf_token"]})
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


# ------------------------------------------------------------------ editing the mapping
def _form(html: str) -> dict[str, str]:
    """The values the mapping form would post as the page shows it (selected options)."""
    values = {"csrf_token": csrf_from(html)}
    form = html.split('data-testid="mapping-form"')[1].split("</form>")[0]
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        values[name] = value
    return values


def _header_key(html: str, header: str) -> str:
    match = re.search(
        rf'<select name="(t0-c\d+)" data-testid="field-select" data-header="{header}"', html
    )
    assert match, f"no select for {header}"
    return match.group(1)


def _token(html: str) -> str:
    return html.split("/data/upload/")[1].split("/")[0]


def test_an_edited_mapping_is_saved_as_the_cli_writes_it_then_ingested(world):
    client = sign_in(client_for(world), "data")
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows()))
    assert r.status_code == 200
    # Every header has a select of the dataset's fields, the proposal chosen, plus "not used".
    assert r.text.count('data-testid="field-select"') == 10
    values = _form(r.text)
    assert values[_header_key(r.text, "公民身份号码")] == "id_no"
    assert values["t0-dataset"] == "household_registry"
    assert "（不使用）" in r.text and "公民身份号码" in r.text
    # The person decides the phone column is not to be used, and the status column is too
    # unreliable to keep the death date: both changed in the form.
    values[_header_key(r.text, "联系电话")] = ""
    values[_header_key(r.text, "注销日期")] = ""
    done = client.post(f"/data/upload/{_token(r.text)}/confirm", data=values)
    assert done.status_code == 200, done.text
    assert 'data-testid="ingest-report"' in done.text
    assert done.text.split('data-testid="rows-loaded">')[1].split("<")[0] == "3"
    saved = find_mapping(world.settings.mappings_dir, REGISTRY_HEADERS)
    assert saved is not None and saved.confirmed and saved.dataset == "household_registry"
    assert saved.columns["联系电话"] is None and saved.columns["注销日期"] is None
    assert saved.columns["公民身份号码"] == "id_no"
    assert saved.path is not None and saved.path.read_text("utf-8").startswith("# 清风 qingfeng")
    phones = connect(world.settings).execute("SELECT count(phone) FROM household_registry")
    assert phones.fetchone() == (0,)
    with world.factory() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.action == "data.ingest"))
    assert row is not None and row.detail["mappings"] == {
        "公安局_户籍人口.csv": "household_registry"
    }


def test_a_required_field_left_unmapped_is_an_error_before_anything_is_ingested(world):
    client = sign_in(client_for(world), "data")
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows()))
    token = _token(r.text)
    values = _form(r.text)
    values[_header_key(r.text, "公民身份号码")] = ""
    # Live, while editing (HTMX re-renders the table): the error is there before confirming.
    live = client.post(
        f"/data/upload/{token}/edit?table=0",
        data=values,
        headers={"HX-Request": "true", "X-CSRF-Token": values["csrf_token"]},
    )
    assert live.status_code == 200 and 'data-testid="mapping-errors"' in live.text
    assert "必填字段未映射：公民身份号码（id_no）" in live.text
    assert "<html" not in live.text
    refused = client.post(f"/data/upload/{token}/confirm", data=values)
    assert refused.status_code == 400 and "必填字段未映射" in refused.text
    assert "映射尚有错误" in refused.text
    assert not (world.settings.lake_dir / "_catalogue.json").exists()
    assert find_mapping(world.settings.mappings_dir, REGISTRY_HEADERS) is None
    # The same field for two headers is refused too.
    twice = dict(values)
    twice[_header_key(r.text, "公民身份号码")] = "name"
    clash = client.post(f"/data/upload/{token}/confirm", data=twice)
    assert clash.status_code == 400 and "字段 name 被多个表头使用" in clash.text
    # Fixed, it goes through: the upload waited.
    values[_header_key(r.text, "公民身份号码")] = "id_no"
    assert client.post(f"/data/upload/{token}/confirm", data=values).status_code == 200
    english = _upload(client, "公安局_户籍人口2.csv", _csv_bytes(registry_rows()[:3]))
    values = _form(english.text)
    values[_header_key(english.text, "姓名")] = ""
    en = client.post(f"/data/upload/{_token(english.text)}/confirm?lang=en", data=values)
    assert (
        en.status_code == 400
        and "Required fields not mapped: Full name (simplified characters) (name)" in en.text
    )


def test_changing_the_dataset_offers_its_fields_and_its_own_proposal(world):
    client = sign_in(client_for(world), "data")
    rows = [
        ["火化证编号", "死者身份证号", "死者姓名", "死亡日期", "备注"],
        ["HH-001", registry_rows()[1][0], "王小明", "2024-01-03", ""],
    ]
    r = _upload(client, "殡仪馆_火化记录.csv", _csv_bytes(rows))
    token = _token(r.text)
    values = _form(r.text)
    assert values["t0-dataset"] == "deaths"
    values["t0-dataset"] = "medical_claims"
    swapped = client.post(
        f"/data/upload/{token}/edit?table=0",
        data=values,
        headers={"HX-Request": "true", "X-CSRF-Token": values["csrf_token"]},
    )
    assert swapped.status_code == 200
    assert 'name="t0-shown" value="medical_claims"' in swapped.text
    assert 'value="hospital"' in swapped.text and 'value="death_date"' not in swapped.text
    # The new dataset's own proposal: the ID column is its ID; the settlement number that
    # medical_claims needs is in no header, which is said at once.
    back = _form('data-testid="mapping-form"' + swapped.text + "</form>" + r.text)
    assert back["t0-c1"] == "id_no"
    assert "必填字段未映射" in swapped.text and "claim_no" in swapped.text
    back["t0-dataset"] = "deaths"
    back["t0-shown"] = "medical_claims"
    again = client.post(f"/data/upload/{token}/confirm", data=back)
    assert again.status_code == 400  # the dataset just changed: its fields are shown to check
    assert "已改为数据集 deaths" in again.text
    checked = _form(again.text)
    assert checked["t0-dataset"] == "deaths" and checked["t0-shown"] == "deaths"
    done = client.post(f"/data/upload/{token}/confirm", data=checked)
    assert done.status_code == 200 and "deaths" in done.text


def test_headers_that_fit_two_datasets_wait_for_the_person_to_choose(world):
    """身份证号, 姓名, 死亡日期 fit the deaths list and the registry equally: the CLI asks for
    --dataset; the page keeps the file, shows the first, and confirms nothing unchosen."""
    client = sign_in(client_for(world), "data")
    rows = [["身份证号", "姓名", "死亡日期"], [registry_rows()[1][0], "王小明", "2024-01-03"]]
    r = _upload(client, "火化名单.csv", _csv_bytes(rows))
    assert r.status_code == 200, r.text
    assert "表头同时符合" in r.text and "deaths" in r.text and "household_registry" in r.text
    token, values = _token(r.text), _form(r.text)
    assert values["t0-dataset"] == "" and values["t0-shown"] == "deaths"
    refused = client.post(f"/data/upload/{token}/confirm", data=values)
    assert refused.status_code == 400 and "请选择数据集" in refused.text
    assert not (world.settings.lake_dir / "_catalogue.json").exists()
    other = client.post(
        f"/data/upload/{token}/confirm", data={**values, "t0-dataset": "household_registry"}
    )
    assert other.status_code == 400 and "已改为数据集 household_registry" in other.text
    done = client.post(f"/data/upload/{token}/confirm", data={**values, "t0-dataset": "deaths"})
    assert done.status_code == 200, done.text
    assert 'data-testid="ingest-report"' in done.text
    con = connect(world.settings)
    assert con.execute("SELECT count(*) FROM deaths").fetchone() == (1,)
    saved = find_mapping(world.settings.mappings_dir, rows[0])
    assert saved is not None and saved.dataset == "deaths" and saved.confirmed


def test_prohibited_fields_stay_refused(world):
    client = sign_in(client_for(world), "data")
    rows = [[*row, "宗教信仰" if i == 0 else "某教"] for i, row in enumerate(registry_rows())]
    r = _upload(client, "户籍_含宗教.csv", _csv_bytes(rows))
    key = _header_key(r.text, "宗教信仰")
    values = _form(r.text)
    assert values[key] == "religion" and "（禁止采集，不入库）" in r.text
    # A person may also point another column at a prohibited field: it is dropped all the same.
    values[_header_key(r.text, "联系电话")] = ""
    done = client.post(f"/data/upload/{_token(r.text)}/confirm", data=values)
    assert done.status_code == 200
    assert (
        done.text.split('data-testid="dropped-prohibited">')[1].split("<")[0].endswith("宗教信仰")
    )
    columns = [
        c[0] for c in connect(world.settings).execute("DESCRIBE household_registry").fetchall()
    ]
    assert "religion" not in columns


def test_editing_needs_the_token_the_role_and_the_uploader(world):
    client = sign_in(client_for(world), "data")
    r = _upload(client, "公安局_户籍人口.csv", _csv_bytes(registry_rows()))
    token = _token(r.text)
    values = _form(r.text)
    without = {k: v for k, v in values.items() if k != "csrf_token"}
    assert client.post(f"/data/upload/{token}/edit?table=0", data=without).status_code == 403
    assert client.post(f"/data/upload/{token}/confirm", data=without).status_code == 403
    builder = sign_in(client_for(world), "builder")
    page = builder.get("/data")
    hdr = {"X-CSRF-Token": csrf_from(page.text)}
    assert (
        builder.post(f"/data/upload/{token}/edit?table=0", data=without, headers=hdr).status_code
        == 403
    )
    admin = sign_in(client_for(world), "admin")  # may upload, but this is not their upload
    hdr = {"X-CSRF-Token": csrf_from(admin.get("/data").text)}
    assert (
        admin.post(f"/data/upload/{token}/edit?table=0", data=without, headers=hdr).status_code
        == 404
    )
    assert (
        client.post(
            f"/data/upload/{token}/edit?table=7",
            data=values,
            headers={"X-CSRF-Token": values["csrf_token"]},
        ).status_code
        == 404
    )
    assert not (world.settings.lake_dir / "_catalogue.json").exists()


def test_the_form_shows_the_evidence_of_a_file_of_data_element_codes(world):
    """Headers the catalogue never wrote (national data-element codes): the form proposes the
    dataset, shows why each column got its field, and the candidate datasets with scores."""
    from recognise_data import date, person, plate, resident_id, table

    client = sign_in(client_for(world), "data")
    rows = table(
        [("HPHM", plate), ("SFZMHM", resident_id), ("SYR", person), ("CCDJRQ", date)], rows=30
    )
    r = _upload(client, "jdc.csv", _csv_bytes(rows))
    assert r.status_code == 200, r.text
    values = _form(r.text)
    assert values["t0-dataset"] == "vehicles"
    assert [values[f"t0-c{j}"] for j in range(4)] == [
        "plate_no",
        "owner_id_no",
        "owner_name",
        "register_date",
    ]
    evidence = re.findall(r'data-testid="field-evidence">([^<]*)<', r.text)
    assert "pinyin ~ 号牌号码" in evidence[0] and "values plate 100%" in evidence[0]
    assert "pinyin ~ 身份证明号码" in evidence[1]
    assert 'data-testid="candidates"' in r.text and "vehicles" in r.text


def test_a_roster_carrying_two_datasets_lands_in_both_from_the_browser(world):
    """A member roster repeats its household on every row: the form shows the household part,
    confirming saves it in the same mapping file and the upload lands households and members."""
    client = sign_in(client_for(world), "data")
    r = _upload(client, "低保成员花名册.csv", _csv_bytes(roster_rows(households=40)))
    assert r.status_code == 200, r.text
    values = _form(r.text)
    assert values["t0-dataset"] == "dibao_members"
    assert 'data-testid="split-part"' in r.text and "dibao_households" in r.text
    assert "户主身份证号 → head_id_no" in r.text
    done = client.post(f"/data/upload/{_token(r.text)}/confirm", data=values)
    assert done.status_code == 200, done.text
    saved = find_mapping(world.settings.mappings_dir, ROSTER_HEADERS)
    assert saved is not None and saved.confirmed and saved.dataset == "dibao_members"
    assert saved.split is not None and saved.split.dataset == "dibao_households"
    assert saved.split.columns["户主身份证号"] == "head_id_no"
    con = connect(world.settings)
    # 40 households of 1 + k % 4 members: 100 member rows, one household row each.
    assert con.execute("SELECT count(*) FROM dibao_members").fetchone() == (100,)
    assert con.execute("SELECT count(DISTINCT case_no) FROM dibao_households").fetchone() == (40,)
    assert con.execute("SELECT count(*) FROM dibao_households").fetchone() == (40,)


def test_an_edit_that_empties_the_parent_part_is_refused(world):
    """The household's part of a roster is checked like the members' part: a required field
    of the household left without a header is named before anything lands."""
    client = sign_in(client_for(world), "data")
    r = _upload(client, "低保成员花名册.csv", _csv_bytes(roster_rows(households=40)))
    token = _token(r.text)
    proposal = json.loads((uploads_dir(world.settings) / token / ".proposal.json").read_text())
    part = proposal[0]["split"]
    assert part["dataset"] == "dibao_households"
    part["columns"] = dict.fromkeys(part["columns"])
    (uploads_dir(world.settings) / token / ".proposal.json").write_text(
        json.dumps(proposal, ensure_ascii=False)
    )
    refused = client.post(f"/data/upload/{token}/confirm", data=_form(r.text))
    assert refused.status_code == 400
    assert "另入 dibao_households 的部分缺少必填字段" in refused.text
    assert not (world.settings.lake_dir / "_catalogue.json").exists()
