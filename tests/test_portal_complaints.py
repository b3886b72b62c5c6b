"""Complaints: filing (anonymous and named), attachments, the warning it becomes, tracking with
the code, the reply published when the warning is disposed, stored XSS rendered inert."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal_support import SUPERVISOR, VILLAGE_A, make_env, solve
from qingfeng.portal.complaints import (
    hash_code,
    on_warning_status_changed,
    publish_reply_if_disposed,
)
from qingfeng.portal.models import Complaint
from qingfeng.store.models import Warning

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def _fields(**over: str) -> dict[str, str]:
    base = {
        "division_code": VILLAGE_A,
        "category": "livelihood_funds",
        "title": "高龄补贴被冒领",
        "content": "我父亲去年已去世，但村里仍有人在领取他的高龄补贴，请核查。",
        "target_name": "张某",
        "target_org": "某镇甲村村委会",
        "anonymous": "anonymous",
        "complainant_name": "",
        "complainant_phone": "",
    }
    base.update(over)
    return base


def file(client: TestClient, files=None, **over: str):  # type: ignore[no-untyped-def]
    page = client.get("/public/complaints/new")
    assert page.status_code == 200
    data = {**_fields(**over), **solve(page.text)}
    return client.post("/public/complaints", data=data, files=files or [])


def _code(html: str) -> str:
    m = re.search(r'id="tracking-code">([A-Z0-9-]+)<', html)
    assert m, html
    return m.group(1)


def test_file_anonymous_complaint_becomes_a_warning(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    r = file(client, files=[("attachments", ("现场.png", PNG, "image/png"))])
    assert r.status_code == 200, r.text
    code = _code(r.text)
    assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){4}[2-9A-HJ-NP-Z]{4}", code)
    assert r.headers["cache-control"] == "no-store"
    with env.factory() as s:
        c = s.scalars(select(Complaint)).one()
        w = s.get(Warning, c.warning_id)
        # Only the hash of the code is stored, nowhere the code itself.
        assert c.tracking_hash == hash_code(code)
        row_text = repr([getattr(c, col.key) for col in Complaint.__table__.columns])
        assert code not in row_text and code.replace("-", "") not in row_text
        assert c.anonymous and c.complainant_name is None
        assert (w.model_id, w.subject_type, w.subject_id, w.severity, w.status) == (
            "complaint",
            "complaint",
            c.complaint_no,
            "yellow",
            "new",
        )
        assert w.division_code == VILLAGE_A
        assert "高龄补贴被冒领" in w.explanation and "某镇甲村村委会" in w.explanation
        assert w.evidence["content"] == _fields()["content"]
        assert w.evidence["attachments"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
        assert c.attachments[0].content_type == "image/png"
    stored = env.settings.attachments_dir / hashlib.sha256(PNG).hexdigest()
    assert stored.read_bytes() == PNG
    url = f"/api/v1/complaints/{c.complaint_no}/attachments/{stored.name}"
    got = client.get(url, headers=SUPERVISOR)
    assert got.content == PNG and got.headers["content-disposition"].startswith("attachment;")
    assert client.get(url).status_code == 401
    assert client.get(url[:-4] + "0000", headers=SUPERVISOR).status_code == 404
    # Tracking: received, no reply yet.
    t = client.post("/public/track", data={"code": code.lower().replace("-", " ")})
    assert t.status_code == 200 and "已受理" in t.text and 'id="reply"' not in t.text


def test_named_complaint_needs_valid_phone_and_reports_all_problems(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    r = file(client, anonymous="named", complainant_name="", complainant_phone="12ab", content="短")
    assert r.status_code == 422
    for msg in ("反映内容须为10至5000字", "实名反映请填写姓名", "有效的手机号"):
        assert msg in r.text
    # The form keeps what was typed (escaped) and offers a fresh challenge.
    assert 'value="高龄补贴被冒领"' in r.text and "等于多少" in r.text
    ok = file(client, anonymous="named", complainant_name="王五", complainant_phone="13800138000")
    assert ok.status_code == 200
    with env.factory() as s:
        c = s.scalars(select(Complaint)).one()
        assert (c.anonymous, c.complainant_name, c.complainant_phone) == (
            False,
            "王五",
            "13800138000",
        )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("evil.png", b"MZ\x90\x00 not an image", "类型不允许"),
        ("page.png", b"<html><script>alert(1)</script>", "类型不允许"),
        ("photo.pdf", PNG, "扩展名与内容不符"),
        ("empty.png", b"", "空文件"),
        ("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10), "超过 1 MB"),
    ],
)
def test_attachment_type_and_size_limits(tmp_path, name, data, message) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 's.db'}", max_attachment_bytes=1024 * 1024)
    client = TestClient(env.app())
    r = file(client, files=[("attachments", (name, data, "image/png"))])
    assert r.status_code == 422 and message in r.text
    assert list(env.settings.attachments_dir.iterdir()) == []
    with env.factory() as s:
        assert s.scalars(select(Complaint)).all() == []


def test_too_many_attachments_and_too_large_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 's.db'}", max_request_bytes=200_000)
    client = TestClient(env.app())
    files = [("attachments", (f"{i}.pdf", PDF + bytes([i]), "application/pdf")) for i in range(4)]
    r = file(client, files=files)
    assert r.status_code == 400 and "附件最多 3 个" in r.text
    r = file(client, files=[("attachments", ("a.pdf", PDF + b"0" * 300_000, "application/pdf"))])
    assert r.status_code == 413


def test_reply_published_when_warning_disposed(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    code = _code(file(client).text)
    with env.factory() as s:
        no = s.scalars(select(Complaint.complaint_no)).one()
    # Staff write the reply first: not public while the warning is open.
    r = client.put(
        f"/api/v1/complaints/{no}/reply",
        json={"reply": "经核查，反映问题属实，已追回多领资金1200元，并对相关人员批评教育。"},
        headers=SUPERVISOR,
    )
    assert r.status_code == 200 and r.json()["replies"] == []
    # The loop moves the warning along; in progress is visible to the citizen.
    with env.factory() as s, s.begin():
        c = s.scalars(select(Complaint)).one()
        w = s.get(Warning, c.warning_id)
        w.status = "verifying"
        assert on_warning_status_changed(s, w) == []
    assert "正在核查办理" in client.post("/public/track", data={"code": code}).text
    with env.factory() as s, s.begin():
        c = s.scalars(select(Complaint)).one()
        w = s.get(Warning, c.warning_id)
        w.status = "disposed"
        (reply,) = on_warning_status_changed(s, w)
        assert reply.warning_status == "disposed"
        assert publish_reply_if_disposed(s, c) is None  # idempotent
    t = client.post("/public/track", data={"code": code})
    assert "已办结" in t.text and "已追回多领资金1200元" in t.text
    # Reopened: the reply leaves the page until the case is disposed again (not duplicated).
    for status, shown in (("verifying", False), ("disposed", True)):
        with env.factory() as s, s.begin():
            w = s.get(Warning, s.scalars(select(Complaint)).one().warning_id)
            w.status = status
            on_warning_status_changed(s, w)
        t = client.post("/public/track", data={"code": code})
        assert ("已追回多领资金1200元" in t.text) is shown
    with env.factory() as s:
        assert len(s.scalars(select(Complaint)).one().replies) == 1


def test_stored_xss_in_every_complaint_field_is_inert(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = file(
        client,
        files=[("attachments", (f"{payload}.png", PNG, "image/png"))],
        anonymous="named",
        complainant_name=payload[:50],
        complainant_phone="13800138000",
        title=payload[:100],
        content=payload + " 村干部优亲厚友。",
        target_name=payload[:100],
        target_org=payload,
    )
    assert r.status_code == 200, r.text
    code = _code(r.text)
    with env.factory() as s:
        no = s.scalars(select(Complaint.complaint_no)).one()
    staff = client.get(f"/staff/complaints/{no}", headers=SUPERVISOR)
    assert staff.status_code == 200
    html = staff.text
    assert "<script>alert" not in html and "<img src=x" not in html
    for cls in ("f-name", "f-title", "f-content", "f-target-name", "f-target-org", "f-attachment"):
        m = re.search(rf'class="[^"]*{cls}[^"]*">([^<]*)<', html)
        assert m and "&lt;img src=x" in m.group(1), cls
    assert "script-src" not in staff.headers["content-security-policy"]  # no scripts allowed
    track = client.post("/public/track", data={"code": code}).text
    assert "<script>alert" not in track and "&lt;script&gt;" in track
    # The JSON API returns the text as data, the warning's explanation too.
    api = client.get(f"/api/v1/complaints/{no}", headers=SUPERVISOR).json()
    assert api["title"] == payload[:100]
    assert client.get(f"/staff/complaints/{no}").status_code == 401
