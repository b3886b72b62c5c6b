"""The paying-system keys page in Debian's Chromium: an administrator creates a key (shown once),
then revokes it. Marked `browser`; needs /usr/bin/chromium and fonts-noto-cjk."""

from __future__ import annotations

import pytest

from chromium import chromium
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS, VIEWPORT
from web_helpers import PASSWORD, make_world

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:.*expression-based index")]
CHROMIUM = chromium()


def test_administrator_creates_and_revokes_a_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import expect, sync_playwright

    world = make_world(tmp_path)
    with running_server(create_app(world.settings)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
        page.set_default_timeout(120_000)  # a shared, loaded machine
        page.set_default_navigation_timeout(120_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.click("nav >> text=付款系统密钥")
        expect(page.locator("h2, h1").filter(has_text="付款系统密钥").first).to_be_visible()
        page.fill("input[name=name]", "民政一卡通")
        page.check("input[name=datasets][value=subsidy_payments]")
        page.fill("input[name=areas]", "522701")
        page.get_by_test_id("key-create-submit").click()
        token = page.get_by_test_id("token-value").inner_text()
        assert token.startswith("qfs_")
        expect(page.get_by_test_id("key-token")).to_contain_text("只显示这一次")
        row = page.get_by_test_id("key-row")
        expect(row).to_contain_text("民政一卡通")
        row.get_by_test_id("key-revoke").click()
        expect(page.get_by_test_id("keys-flash")).to_contain_text("已吊销")
        expect(page.get_by_test_id("key-state")).to_contain_text("已吊销")
        assert token not in page.content()
        assert errors == []
        browser.close()
