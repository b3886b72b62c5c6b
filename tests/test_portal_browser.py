"""The citizen's flows on a phone-sized screen (390×844), in Debian's Chromium via Playwright,
against the portal served by uvicorn on a free loopback port."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from chromium import chromium
from portal_support import (
    LI,
    OFFICER_A,
    OFFICER_B,
    SUPERVISOR,
    WANG,
    ZHAO,
    PortalEnv,
    make_env,
)
from qingfeng.masking import mask_id, mask_name
from qingfeng.portal.complaints import on_warning_status_changed
from qingfeng.portal.models import Complaint
from qingfeng.store.models import Warning

pytestmark = pytest.mark.browser

CHROMIUM = chromium()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PortalEnv, str]]:
    env = make_env(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    # The server is handed a socket already bound to a free port: no other process can take the
    # port between choosing it and listening on it.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(env.app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield env, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def page(served):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        yield context.new_page()
        context.close()
        browser.close()


def _answer(page) -> None:  # type: ignore[no-untyped-def]
    q = page.locator("label[for=challenge]").inner_text()
    m = re.match(r"(\d+) (加|减) (\d+)", q)
    assert m, q
    a, b = int(m.group(1)), int(m.group(3))
    page.fill("#challenge", str(a + b if m.group(2) == "加" else a - b))


def _fits_phone(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"


def test_citizen_files_complaint_and_reads_reply(served, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env, base = served
    page.goto(f"{base}/public/")
    page.click("text=投诉举报")
    page.select_option("select[name=division_code]", label="某镇甲村")
    page.select_option("select[name=category]", value="livelihood_funds")
    page.fill("input[name=target_org]", "某镇甲村村委会")
    page.fill("input[name=title]", "高龄补贴被冒领")
    page.fill("textarea[name=content]", "我父亲去年已去世，村里仍有人在领取他的高龄补贴。")
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    page.set_input_files("input[name=attachments]", str(photo))
    _answer(page)
    _fits_phone(page)
    page.click("button[type=submit]")
    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){4}[2-9A-HJ-NP-Z]{4}", code)
    _fits_phone(page)

    # Staff in the back office write the reply and dispose of the warning.
    with env.factory() as s:
        no = s.query(Complaint.complaint_no).one()[0]
    r = httpx.put(
        f"{base}/api/v1/complaints/{no}/reply",
        json={"reply": "经核查，反映问题属实，已追回多领资金1200元。"},
        headers=SUPERVISOR,
    )
    assert r.status_code == 200
    with env.factory() as s, s.begin():
        c = s.query(Complaint).one()
        w = s.get(Warning, c.warning_id)
        w.status = "disposed"
        on_warning_status_changed(s, w)

    page.click("header >> text=进度")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    assert "已办结" in page.locator("#status").inner_text()
    assert "已追回多领资金1200元" in page.locator("#reply").inner_text()


def test_disclosure_appears_masked_after_approval(served, page) -> None:  # type: ignore[no-untyped-def]
    _env, base = served
    with httpx.Client(base_url=base) as api:
        v = api.post(
            "/api/v1/publications",
            json={
                "kind": "subsidy_roll",
                "division_code": "522723101000",
                "title": "某镇2026年高龄补贴发放名册",
                "filters": {"division_prefix": "522723101"},
            },
            headers=OFFICER_A,
        ).json()
        page.goto(f"{base}/public/disclosures")
        assert "高龄补贴发放名册" not in page.content()  # a draft is not public
        assert (
            api.post(
                f"/api/v1/publications/versions/{v['id']}/approve", headers=OFFICER_A
            ).status_code
            == 403
        )
        assert (
            api.post(
                f"/api/v1/publications/versions/{v['id']}/approve", headers=OFFICER_B
            ).status_code
            == 200
        )
        assert (
            api.post(
                f"/api/v1/publications/versions/{v['id']}/publish", headers=OFFICER_A
            ).status_code
            == 200
        )
    page.goto(f"{base}/public/disclosures")
    page.click("text=某镇2026年高龄补贴发放名册")
    cards = page.locator("table.rows tbody tr")
    assert cards.count() == 5
    text = page.locator("table.rows").inner_text()
    for person in (WANG, LI, ZHAO):
        assert mask_name(person["name"]) in text and mask_id(person["id_no"]) in text
        assert person["name"] not in text and person["id_no"] not in text
    _fits_phone(page)


def test_self_query_shows_only_own_payments(served, page) -> None:  # type: ignore[no-untyped-def]
    _env, base = served
    with httpx.Client(base_url=base) as api:
        v = api.post(
            "/api/v1/publications",
            json={
                "kind": "subsidy_roll",
                "title": "某镇2026年高龄补贴发放名册",
                "filters": {"division_prefix": "522723101"},
                "self_query": True,
                "verification": "account_last4",
            },
            headers=OFFICER_A,
        ).json()
        api.post(f"/api/v1/publications/versions/{v['id']}/approve", headers=OFFICER_B)
        api.post(f"/api/v1/publications/versions/{v['id']}/publish", headers=OFFICER_B)
    page.goto(f"{base}/public/query")
    page.click("text=某镇2026年高龄补贴发放名册")
    page.fill("input[name=id_no]", WANG["id_no"])
    page.fill("input[name=name]", WANG["name"])
    page.fill("input[name=answer]", WANG["account"][-4:])
    _answer(page)
    page.click("button[type=submit]")
    rows = page.locator("#self-rows tbody tr")
    assert rows.count() == 2
    text = page.locator("#self-rows").inner_text()
    assert text.count(mask_name(WANG["name"])) == 2
    for other in (LI, ZHAO):
        assert mask_name(other["name"]) not in text and mask_id(other["id_no"]) not in text
    _fits_phone(page)
