"""The big screen in Chromium at 1920×1080: it fills the screen without scrolling, its charts
draw, and clicking a place on the map opens the warnings list of that place's open leads."""

from __future__ import annotations

import pytest

from chromium import chromium, skip_reason
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS
from web_helpers import PASSWORD, add_warning, make_world

pytestmark = pytest.mark.browser

CHROMIUM = chromium()
WALL = {"width": 1920, "height": 1080}


@pytest.fixture
def live(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(skip_reason())
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        for i in range(6):
            add_warning(s, "522701001007", f"赵{i}", status="dispatched", amount="500.00")
        add_warning(s, "522701001007", "钱七", status="archived")
    with running_server(create_app(world.settings)) as base:
        yield world, base


def test_drill_from_a_village_on_the_map_into_its_list(live):
    from playwright.sync_api import expect, sync_playwright

    _world, base = live
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=WALL, locale="zh-CN")
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "leader")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/dashboard")
        page.get_by_test_id("screen-link").click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/dashboard/screen")
        # Every chart drew, and the wall display needs no scroll bar.
        page.wait_for_function(
            "Array.from(document.querySelectorAll('[data-chart]'))"
            ".every(el => el.querySelector('canvas'))"
        )
        assert page.evaluate("document.documentElement.scrollHeight") <= WALL["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]
        village = page.get_by_test_id("tile-522701001007")
        assert village.get_attribute("data-open") == "6"  # the archived lead is not open
        assert "6" in (village.get_attribute("title") or "")
        village.click()
        page.wait_for_load_state("networkidle")
        assert "region=522701001007" in page.url and "open=1" in page.url
        expect(page.get_by_test_id("warning-count")).to_have_text("共 6 条预警")
        assert errors == []
        browser.close()


def test_compact_list_fits_25_rows_at_1366_by_768_without_wrapping(live):
    from playwright.sync_api import sync_playwright

    world, base = live
    with world.factory() as s, s.begin():
        for _ in range(30):
            add_warning(s, "522701001007", "欧阳" + "长" * 40, model_id="m_" + "x" * 60)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "sup_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{base}/warnings")
        page.get_by_test_id("density-toggle").click()
        page.wait_for_load_state("networkidle")
        assert "density=compact" in page.url
        rows = page.locator("table.grid tbody tr")
        boxes = [rows.nth(i).bounding_box() for i in range(rows.count())]
        visible = [b for b in boxes if b and b["y"] + b["height"] <= 768]
        assert len(visible) >= 25, len(visible)
        # One line per row whatever the subject's length; the whole text is in the tooltip.
        heights = {round(b["height"]) for b in boxes if b}
        assert max(heights) <= 24, heights
        cell = page.locator("table.grid tbody tr td.cut[title*='欧阳']").first
        assert "长" * 40 in (cell.get_attribute("title") or "")
        # Dates never wrap: the found-on cell is one line tall.
        date = page.locator("table.grid tbody tr td.nowrap").last.bounding_box()
        assert date and date["height"] <= 24
        # Every lead still to dispatch has a box for bulk actions (the others cannot be
        # dispatched); the header's box ticks the whole page.
        boxes = page.locator("table.grid tbody input[type=checkbox][name=ids]")
        waiting = page.locator(
            "table.grid tbody tr:has(.st-new), table.grid tbody tr:has(.st-returned)"
        )
        assert boxes.count() == waiting.count() >= 30
        page.get_by_test_id("select-all").check()
        assert page.locator("table.grid tbody input[name=ids]:checked").count() == boxes.count()
        # Columns keep their widths: the model column's width does not follow its text.
        model_cells = page.locator("table.grid tbody td.cut:nth-child(4)")
        widths = {round(model_cells.nth(i).bounding_box()["width"]) for i in range(3)}
        assert len(widths) == 1, widths
        # The normal density too: long texts cut to one line, dates on one line.
        page.goto(f"{base}/warnings?density=")
        page.wait_for_load_state("networkidle")
        normal = page.locator("table.grid tbody tr")
        assert normal.count() >= 10
        heights = {round(normal.nth(i).bounding_box()["height"]) for i in range(normal.count())}
        assert max(heights) <= 40, heights
        for cell in ("td.nowrap",):
            box = page.locator(f"table.grid tbody tr {cell}").first.bounding_box()
            assert box and box["height"] <= 40
        browser.close()
