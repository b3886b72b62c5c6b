"""Hostile files and requests: formulas in exports, malformed ids and numbers, Excel bombs,
oversized streamed uploads."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from qingfeng.cells import neutralise
from qingfeng.cli import app as cli_app
from web_helpers import add_warning, client_for, make_world, sign_in

FORMULA = '=HYPERLINK("http://127.0.0.1/x","点我")'


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    return make_world(tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1200.50", "-1200.50"),  # a plain number is no formula
        ("王小明", "王小明"),
        (None, None),
    ],
)
def test_neutralise(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert neutralise(value) == expected


def _formula_warning(world) -> int:  # type: ignore[no-untyped-def]
    with world.factory() as s, s.begin():
        return add_warning(s, "522701001002", FORMULA).id


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def test_page_csv_export_defuses_formulas(world) -> None:  # type: ignore[no-untyped-def]
    _formula_warning(world)
    client = sign_in(client_for(world), "sup_a")
    r = client.get("/warnings/export.csv")
    assert r.status_code == 200
    cells = _cells(r.text)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_api_exports_defuse_formulas(world, fmt: str) -> None:  # type: ignore[no-untyped-def]
    _formula_warning(world)
    client = sign_in(client_for(world), "sup_a")
    r = client.get(f"/api/v1/warnings/export?format={fmt}")
    assert r.status_code == 200, r.text
    if fmt == "csv":
        cells = _cells(r.content.decode("utf-8-sig"))
    else:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
        sheet = book.get_sheet_by_index(0)
        cells = [str(c) for row in sheet.to_python() for c in row if c]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def test_portal_export_complaints_defuses_formulas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qingfeng.portal.complaints import ComplaintForm, file_complaint
    from qingfeng.portal.models import PortalDivision
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.workspace import init_workspace

    settings = init_workspace(tmp_path / "ws")
    with session_factory(make_engine(settings.database_url))() as s, s.begin():
        s.add(PortalDivision(code="522723101201", name="甲村", level="village"))
        s.flush()
        form = ComplaintForm("522723101201", "conduct", FORMULA, "@村支书周末开公车去钓鱼。")
        file_complaint(s, form, [], settings.attachments_dir)
    out = tmp_path / "complaints.csv"
    r = CliRunner().invoke(
        cli_app, ["portal", "export-complaints", str(out), "-w", str(settings.workspace)]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    cells = [c for row in rows for c in row.values() if c]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert rows[0]["content"].startswith("'" + FORMULA)


# --- malformed ids, numbers and enums: 4xx, never 500 ---------------------------------------------

MALFORMED_IDS = ("1e22", "99999999999999999999", "-1", "0", "abc", "1.5")


def _get_routes_with_ids(app):  # type: ignore[no-untyped-def]
    import re

    from web_helpers import all_routes

    for path, methods in all_routes(app.routes):
        if "GET" in methods and re.search(r"\{[^}]+\}", path):
            yield path


def test_every_route_with_an_id_refuses_malformed_ids(world) -> None:  # type: ignore[no-untyped-def]
    import re

    from fastapi.testclient import TestClient

    from qingfeng.web.app import create_app

    app = create_app(world.settings)
    admin = sign_in(TestClient(app, follow_redirects=False, raise_server_exceptions=False), "admin")
    anonymous = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    paths = list(_get_routes_with_ids(app))
    assert "/public/query/{publication_id}" in paths and "/warnings/{warning_id}" in paths
    errors = []
    for path in paths:
        for value in MALFORMED_IDS:
            url = re.sub(r"\{[^}]+\}", value, path)
            for who, client in (("admin", admin), ("anonymous", anonymous)):
                status = client.get(url).status_code
                if status >= 500:
                    errors.append(f"{who} GET {url} → {status}")
    assert errors == []


@pytest.mark.parametrize(
    "url",
    [
        "/warnings?status=xyz",
        "/warnings?page=1e22",
        "/warnings?page=99999999999999999999",
        "/api/v1/complaints/analytics?days=62934915",
        "/api/v1/complaints/analytics?since_month=2024-13",
        "/api/v1/complaints?offset=99999999999999999999",
        "/api/v1/warnings?offset=99999999999999999999",
        "/api/v1/warnings?status=xyz",
        "/public/query/1e22",
        "/public/disclosures/1e22",
        "/public/disclosures/99999999999999999999",
        "/public/query/99999999999999999999",
        "/api/v1/publications/versions/99999999999999999999/preview",
    ],
)
def test_malformed_numbers_and_enums_are_client_errors(world, url: str) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from qingfeng.web.app import create_app

    client = sign_in(
        TestClient(
            create_app(world.settings), follow_redirects=False, raise_server_exceptions=False
        ),
        "admin",
    )
    assert client.get(url).status_code in (400, 404, 422)


# --- Excel bombs and streamed uploads -------------------------------------------------------------

_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)


def _bomb(path, unpacked_mb: int) -> int:  # type: ignore[no-untyped-def]
    """An .xlsx whose one sheet unpacks to `unpacked_mb` MB of ordinary-looking rows."""
    import zipfile

    block = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD)
            for _ in range(unpacked_mb * 1024 * 1024 // len(block) + 1):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path.stat().st_size


def _upload_file(client, name: str, content: bytes):  # type: ignore[no-untyped-def]
    from web_helpers import csrf_from

    token = csrf_from(client.get("/data").text)
    return client.post(
        "/data/upload",
        data={"csrf_token": token},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_xlsx_bomb_is_refused_quickly_with_a_clear_message(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import time

    from qingfeng.web.uploads import uploads_dir

    world.settings.xlsx_max_uncompressed_mb = 40
    bomb = tmp_path / "补贴.xlsx"
    packed = _bomb(bomb, 200)
    assert packed < 2 * 1024 * 1024  # 200 MB of sheet in under 2 MB
    client = sign_in(client_for(world), "data")
    started = time.perf_counter()
    r = _upload_file(client, bomb.name, bomb.read_bytes())
    elapsed = time.perf_counter() - started
    assert r.status_code == 400
    assert "补贴.xlsx" in r.text and "压缩炸弹" in r.text and "xlsx_max_uncompressed_mb" in r.text
    assert elapsed < 10, elapsed
    folder = uploads_dir(world.settings)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_xlsx_with_too_many_rows_is_refused_before_reading(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import xlsxwriter

    from qingfeng.ingest.errors import IngestError
    from qingfeng.ingest.excel_guard import ExcelLimits
    from qingfeng.ingest.readers import read_excel_sources

    path = tmp_path / "名册.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名册")
    sheet.write_row(0, 0, ["姓名", "身份证号"])
    for i in range(1, 1501):
        sheet.write_row(i, 0, [f"人{i}", f"52270119500101{i:04d}"])
    book.close()
    with pytest.raises(IngestError, match="xlsx_max_rows") as caught:
        list(read_excel_sources(path, tmp_path, ExcelLimits(max_rows=1000)))
    assert "名册.xlsx" in str(caught.value)
    tables = list(read_excel_sources(path, tmp_path, ExcelLimits(max_rows=2000)))
    assert [t.name for t in tables] == ["名册.xlsx#名册"]


def test_chunked_upload_is_cut_off_as_it_arrives(world) -> None:  # type: ignore[no-untyped-def]
    """No Content-Length: the body is refused once the limit has arrived, not at its end."""
    import anyio

    from qingfeng.web.app import SESSION_COOKIE
    from web_helpers import csrf_from

    client = sign_in(client_for(world), "data")
    app = client.app
    app.state.upload_limit = 1024 * 1024  # type: ignore[attr-defined]
    token = csrf_from(client.get("/data").text)
    cookie = client.cookies.get(SESSION_COOKIE)
    boundary = "qfboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    offered = 200  # 200 MB in 1 MB chunks
    pulled = 0
    status: list[int] = []

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal pulled
        pulled += 1
        if pulled == 1:
            return {"type": "http.request", "body": head, "more_body": True}
        if pulled <= offered:
            return {"type": "http.request", "body": b"a,b\r\n" * 209_715, "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/data/upload",
        "raw_path": b"/data/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", f"{SESSION_COOKIE}={cookie}".encode()),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    assert status == [413]
    assert pulled <= 3, f"read {pulled} MB of a body refused at 1 MB"
