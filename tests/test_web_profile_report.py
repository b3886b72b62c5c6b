"""The profile as a report: a workbook in the reader's language, masked as the page is, every
export audited, and only for a profile the reader may open."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from qingfeng.masking import mask_id
from qingfeng.store.models import AuditLog
from qingfeng.web.profile_report import XLSX
from subject_library_data import P
from test_web_people_subject_library import world  # noqa: F401 (fixture)
from web_helpers import add_warning, client_for, sign_in

ZHANG_MIN = P["zhang_min"]


def _text(content: bytes) -> tuple[list[str], str]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(v)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    return book.sheetnames, "\n".join(cells)


def _warning_of_zhang_min(world) -> int:  # type: ignore[no-untyped-def]  # noqa: F811
    with world.factory() as s, s.begin():
        w = add_warning(s, "330102001001", "张敏")
        w.subject_id = ZHANG_MIN
        return w.id


def test_profile_report_in_chinese_masked_and_audited(world) -> None:  # noqa: F811
    wid = _warning_of_zhang_min(world)
    client = sign_in(client_for(world), "sup_hz")
    page = client.get(f"/people/w/{wid}")
    assert 'data-testid="report-link"' in page.text
    r = client.get(f"/people/w/{wid}/report.xlsx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    sheets, text = _text(r.content)
    assert sheets[:2] == ["概况", "相关预警"] and "亲属与同户人员" in sheets
    assert "数字画像报告：张敏" in text
    # Masked as the page is: the ID's first and last 4 digits, relatives' IDs too.
    assert ZHANG_MIN not in text and mask_id(ZHANG_MIN) in text
    assert P["zhang_wei"] not in text and mask_id(P["zhang_wei"]) in text
    # Codes through the label table: relation, severity, status, model name.
    assert "父母" in text and "红色" in text and "新预警" in text
    for code in ("parent", "red", "new", "True", "False"):
        assert f"\n{code}\n" not in f"\n{text}\n", code
    with world.factory() as s:
        logged = list(s.scalars(select(AuditLog).where(AuditLog.action == "person.export")))
    assert len(logged) == 1 and logged[0].actor == "sup_hz"
    assert logged[0].detail == {"format": "xlsx", "masked": True, "lang": "zh"}
    assert ZHANG_MIN not in str(logged[0].object_id)


def test_profile_report_in_english_for_an_english_reader(world) -> None:  # noqa: F811
    wid = _warning_of_zhang_min(world)
    client = sign_in(client_for(world), "sup_hz")
    r = client.get(f"/people/w/{wid}/report.xlsx?lang=en")
    assert r.status_code == 200
    sheets, text = _text(r.content)
    assert sheets[:2] == ["Summary", "Warnings"]
    assert "Profile report: 张敏" in text and "parent" in text and "概况" not in text


def test_no_report_of_a_profile_outside_the_readers_area(world) -> None:  # noqa: F811
    wid = _warning_of_zhang_min(world)
    far = sign_in(client_for(world), "sup_far")
    assert far.get(f"/people/w/{wid}/report.xlsx").status_code in (403, 404)
    with world.factory() as s:
        assert not list(s.scalars(select(AuditLog).where(AuditLog.action == "person.export")))
