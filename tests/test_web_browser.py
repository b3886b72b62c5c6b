"""The back office in Debian's Chromium (Playwright): two roles walk the main journeys, a third
tries another county's URL. Marked `browser`; needs /usr/bin/chromium and fonts-noto-cjk."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from chromium import chromium
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS, VIEWPORT
from web_helpers import PASSWORD, add_warning, make_world

pytestmark = pytest.mark.browser

CHROMIUM = chromium()


@pytest.fixture
def live(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        add_warning(s, "522701001004", "陈一", severity="orange", amount="300.00")
    with running_server(create_app(world.settings)) as base:
        yield world, base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, base):  # type: ignore[no-untyped-def]
    """A page that records requests leaving the server and JavaScript errors."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.offsite = []
    page.errors = []
    host = urlparse(base).netloc
    page.on(
        "request", lambda r: urlparse(r.url).netloc not in (host, "") and page.offsite.append(r.url)
    )
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    assert page.locator("h1").inner_text() == "清风监督平台"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_supervisor_filters_opens_and_dispatches_then_verifier_accepts(live, browser):
    _world, base = live
    page = new_page(browser, base)
    sign_in(page, base, "sup_a")
    assert page.url.endswith("/warnings?queue=to_dispatch")  # lands on the queue 待分办
    assert page.get_by_test_id("warning-count").inner_text() == "共 4 条预警"
    assert page.get_by_test_id("badge-to_dispatch").inner_text() == "4"
    # Filtering swaps the table in place (HTMX) and puts the filter in the URL.
    page.select_option("select[name=severity]", "orange")
    from playwright.sync_api import expect

    # expect() polls from Playwright's side: a string predicate would need eval, which the
    # page's Content-Security-Policy (script-src 'self') refuses
    expect(page.get_by_test_id("warning-count")).to_have_text("共 1 条预警")
    assert "severity=orange" in page.url
    page.click("table.grid tbody a")
    page.wait_for_load_state("networkidle")
    assert "陈一" in page.inner_text("main")
    assert page.get_by_test_id("warning-status").inner_text() == "新预警"
    # Dispatch to the township through the action form.
    page.select_option("select[name=org_id]", label="广惠街道纪工委")
    page.click("button[data-action=dispatch]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("warning-status").inner_text() == "已分办"
    assert "分办" in page.get_by_test_id("timeline").inner_text()
    detail_url = page.url.split("?")[0]
    page.click("text=退出")
    page.wait_for_url(re.compile(r".*/login$"))
    assert page.offsite == [] and page.errors == []

    verifier = new_page(browser, base)
    sign_in(verifier, base, "ver_a")
    verifier.goto(detail_url)
    buttons = verifier.locator("button[data-action]").evaluate_all(
        "els => els.map(e => e.dataset.action)"
    )
    assert "dispatch" not in buttons and "accept" in buttons
    verifier.click("button[data-action=accept]")
    verifier.wait_for_load_state("networkidle")
    assert verifier.get_by_test_id("warning-status").inner_text() == "核查中"
    assert verifier.offsite == [] and verifier.errors == []


def test_leader_dashboard_draws_charts_and_drills_down(live, browser):
    world, base = live
    page = new_page(browser, base)
    sign_in(page, base, "leader")
    assert page.url.endswith("/dashboard")
    from playwright.sync_api import expect

    expect(page.locator("[data-chart]").first).to_be_visible()
    expect(page.locator("[data-chart]:not(:has(canvas))")).to_have_count(0)
    assert page.get_by_test_id("kpi-total").inner_text() == "6"
    page.click("text=已超期")
    page.wait_for_load_state("networkidle")
    assert "due=overdue" in page.url
    # The leader reads names masked and sees no action panel.
    page.goto(f"{base}/warnings")
    assert "陈*" in page.inner_text("main")
    page.goto(f"{base}/warnings/{world.warnings['county_a'][0]}")
    assert page.locator("button[data-action]").count() == 0
    page.goto(f"{base}/dashboard?lang=en")
    assert "Progress through the loop" in page.inner_text("main")
    assert page.offsite == [] and page.errors == []


def test_other_county_cannot_open_a_warning_by_url(live, browser):
    world, base = live
    page = new_page(browser, base)
    sign_in(page, base, "sup_b")
    response = page.goto(f"{base}/warnings/{world.warnings['county_a'][0]}")
    assert response is not None and response.status == 404
    assert "不在您的管辖范围内" in page.inner_text("body")
