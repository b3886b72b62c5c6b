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
