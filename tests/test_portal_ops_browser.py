"""Portal operations end to end in Debian's Chromium (Playwright): a data officer drafts a roll
from the lake in the back office, a second officer approves and publishes it, a citizen finds
their own rows by self-query; a citizen files a complaint, a supervisor replies from the
workbench, and the tracking page shows the reply and each stage at the back office's time."""

from __future__ import annotations

import re

import pytest

from chromium import chromium
from portal_ops_support import PEOPLE, dispose, lake_world
from qingfeng.masking import mask_id, mask_name
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS, VIEWPORT
from web_helpers import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = chromium()


@pytest.fixture
def live(tmp_path):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    world = lake_world(tmp_path)
    with running_server(create_app(world.settings)) as base:
        yield world, base


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser, username: str | None, base: str):  # type: ignore[no-untyped-def]
    """A fresh browser context, signed in as `username` (None: a citizen)."""
    page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    if username:
        page.goto(f"{base}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
    return page


def _answer(page) -> None:  # type: ignore[no-untyped-def]
    q = page.locator("label[for=challenge]").inner_text()
    m = re.match(r"(\d+) (加|减) (\d+)", q)
    assert m, q
    a, b = int(m.group(1)), int(m.group(3))
    page.fill("#challenge", str(a + b if m.group(2) == "加" else a - b))


def test_roll_published_from_the_back_office_is_found_by_self_query(live, browser) -> None:  # type: ignore[no-untyped-def]
    _world, base = live
    officer = _page(browser, "data", base)
    officer.click("nav >> text=公开发布")
    officer.click("[data-testid=new-publication]")
    officer.fill("input[name=title]", "广惠街道高龄补贴发放名册")
    officer.fill("input[name=filter_division_prefix]", "522701001")
    officer.uncheck("input[name=columns][value=account_no]")
    officer.check("input[name=self_query]")
    officer.click("[data-testid=save-draft]")
    preview = officer.locator("[data-testid=preview-table]").inner_text()
    assert mask_name(PEOPLE[0]["name"]) in preview and PEOPLE[0]["name"] not in preview
    assert "发放账号" not in preview
    assert officer.locator("[data-testid=four-eyes]").is_visible()  # not theirs to approve
    url = officer.url

    approver = _page(browser, "admin", base)
    approver.goto(url)
    approver.click("[data-testid=approve]")
    approver.click("[data-testid=publish]")
    assert approver.locator("tr[data-state=published]").count() == 1

    citizen = _page(browser, None, base)
    citizen.goto(f"{base}/public/query")
    citizen.click("text=广惠街道高龄补贴发放名册")
    me = PEOPLE[1]
    citizen.fill("input[name=id_no]", me["id_no"])
    citizen.fill("input[name=name]", me["name"])
    citizen.fill("input[name=answer]", me["account"][-4:])
    _answer(citizen)
    citizen.click("button[type=submit]")
    result = citizen.locator("main").inner_text()
    assert mask_id(me["id_no"]) in result and "100.00" in result
    assert mask_name(PEOPLE[0]["name"]) not in result  # nobody else's rows
    for page in (officer, approver, citizen):
        assert page.errors == []


def test_complaint_replied_from_the_workbench_shows_on_the_tracking_page(live, browser) -> None:  # type: ignore[no-untyped-def]
    world, base = live
    citizen = _page(browser, None, base)
    citizen.goto(f"{base}/public/complaints/new")
    # The places come from the county's own tree and registry: nobody loaded them.
    citizen.select_option("select[name=division_code]", label="广惠街道甲村")
    citizen.select_option("select[name=category]", value="livelihood_funds")
    citizen.fill("input[name=title]", "高龄补贴被冒领")
    citizen.fill("textarea[name=content]", "我父亲去年已去世，村里仍有人在领取他的高龄补贴。")
    _answer(citizen)
    citizen.click("button[type=submit]")
    code = citizen.locator("#tracking-code").inner_text()

    supervisor = _page(browser, "sup_a", base)
    supervisor.click("nav >> text=投诉办理")
    supervisor.click("[data-testid=complaints] a")
    received_at = supervisor.locator("[data-testid=received-at]").inner_text()
    reply = "经核查，反映问题属实，已追回多领资金1200元。"
    supervisor.fill("[data-testid=reply-text]", reply)
    supervisor.click("[data-testid=save-reply]")
    supervisor.fill("[data-testid=note-text]", "请核对村委发放台账")
    supervisor.click("[data-testid=save-note]")
    assert "请核对村委发放台账" in supervisor.locator("#notes").inner_text()
    no = supervisor.locator("h1").inner_text().split()[-1]
    dispose(world, no)  # the case is handled through the closed loop

    citizen.goto(f"{base}/public/track")
    citizen.fill("input[name=code]", code)
    citizen.click("button[type=submit]")
    assert "已办结" in citizen.locator("#status").inner_text()
    assert reply in citizen.locator("#reply").inner_text()
    stages = citizen.locator("#stages").inner_text()
    for label in ("已受理", "开始核查办理", "办理完毕", "答复公开"):
        assert label in stages
    # The same clock time on both sides.
    assert received_at in citizen.locator("main").inner_text()
    assert "请核对村委发放台账" not in citizen.content()
    for page in (citizen, supervisor):
        assert page.errors == []
