"""Reminders and privacy in Debian's Chromium (Playwright): a verifier follows a reminder from the
top bar to the warning; a supervisor reveals a third party with a reason and prints a 督办单 to A4.
Marked `browser`; needs /usr/bin/chromium and fonts-noto-cjk."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chromium import chromium
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.mail import MailConfig
from qingfeng.loop.reminders import remind
from qingfeng.store.models import Warning, utcnow
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS, VIEWPORT
from web_helpers import PASSWORD, add_warning, make_world

pytestmark = pytest.mark.browser

CHROMIUM = chromium()


@pytest.fixture
def live(tmp_path):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    world = make_world(tmp_path)
    now = utcnow()
    with world.factory() as s, s.begin():
        w = add_warning(s, "522701001002", "村干部甲", model_id="approval_for_relative")
        w.explanation = "审批人村干部甲在2024-03为同户亲属黄翠审批低保金600.00元"
        w.evidence = {"recipient_name": "黄翠", "recipient_relation": "parent"}
        w.status, w.org_id, w.due_at = "verifying", world.orgs["county_a"].id, now - timedelta(1)
        wid = w.id
    remind(world.factory, LoopConfig(escalate_after_working_days=0), MailConfig(), now=now)
    with running_server(create_app(world.settings)) as base:
        yield world, base, wid


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_verifier_follows_a_reminder_to_the_warning(live, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    _world, base, wid = live
    page = sign_in(browser, base, "ver_a")
    expect(page.get_by_test_id("notifications-unread")).to_have_text("1")
    page.get_by_test_id("notifications-link").click()
    item = page.get_by_test_id("notification")
    expect(item).to_contain_text(f"超期提醒：预警 {wid} 已超期")
    item.get_by_role("button", name="查看预警").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/warnings/{wid}")
    expect(page.get_by_test_id("notifications-unread")).to_have_count(0)
    assert "黄翠" not in page.content()


def test_supervisor_reveals_with_a_reason_and_prints_a_letter(live, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world, base, wid = live
    page = sign_in(browser, base, "sup_a")
    page.goto(f"{base}/warnings/{wid}")
    expect(page.get_by_test_id("explanation")).to_have_text(
        "审批人村干部甲在2024-03为同户亲属黄*审批低保金600.00元"
    )
    page.fill("#privacy textarea[name=reason]", "核查亲属关系")
    page.get_by_test_id("reveal-submit").click()
    expect(page.get_by_test_id("revealed")).to_be_visible()
    expect(page.get_by_test_id("explanation")).to_contain_text("同户亲属黄翠审批")

    with page.context.expect_page() as opened:
        page.get_by_test_id("letter-supervision").click()
    letter = opened.value
    letter.wait_for_load_state("networkidle")
    expect(letter.locator("h1")).to_have_text("督办单")
    expect(letter.get_by_test_id("letter-explanation")).to_contain_text("黄*")
    with world.factory() as s:
        subject_id = s.get_one(Warning, wid).subject_id
    assert subject_id not in letter.content()
    pdf = letter.pdf(prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1  # one A4 sheet
    assert re.search(rb"/MediaBox \[0 0 59[45][.\d]* 84[12][.\d]*\]", pdf)  # A4, in points
