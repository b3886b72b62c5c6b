"""The new back-office tools in Debian's Chromium: a model run with its live progress, a file
upload whose mapping is edited then confirmed and ingested, the quality charts, the library
profile's graph, and an administrator creating a user who then changes the temporary password.
Marked `browser`; needs /usr/bin/chromium."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from built_in_models import built_in_models
from ingest_helpers import REGISTRY_HEADERS, registry_rows
from qingfeng.ingest.mapping import find_mapping
from qingfeng.subject_library import build_libraries
from qingfeng.subject_library.attach import libraries_dir
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from subject_library_data import P, create_county
from test_web_browser import CHROMIUM, new_page, sign_in
from test_web_model_runs import MODEL, _publish
from web_helpers import make_world

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    world = make_world(tmp_path)
    for dataset, rows in built_in_models().get(MODEL).tests[0].tables.items():
        _publish(world.settings.lake_dir, dataset, rows)
    with running_server(create_app(world.settings)) as base:
        yield world, base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    from qingfeng.web.screenshots import CHROMIUM_ARGS

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_model_run_progress_then_results(live, browser):
    _world, base = live
    page = new_page(browser, base)
    sign_in(page, base, "builder")
    page.goto(f"{base}/models")
    page.check(f"input[name=model_ids][value={MODEL}]")
    page.click("[data-testid=run-form] button[type=submit]")
    page.wait_for_selector("[data-testid=run-done]", timeout=60_000)
    assert "1 / 1" in page.inner_text("[data-testid=run-progress]")
    assert MODEL in page.inner_text("[data-testid=run-results]")
    assert page.errors == [] and page.offsite == []


@pytest.fixture
def live_empty(tmp_path):
    """A lake that only ingest writes to (the engine's test batches lack ingest's columns)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    world = make_world(tmp_path)
    with running_server(create_app(world.settings)) as base:
        yield world, base


def test_upload_edit_mapping_confirm_ingest_and_quality_charts(live_empty, browser, tmp_path: Path):
    world, base = live_empty
    source = tmp_path / "公安局_户籍人口.csv"
    with source.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows(registry_rows())
    page = new_page(browser, base)
    sign_in(page, base, "data")
    page.goto(f"{base}/data")
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(source))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=upload-preview]")
    assert "household_registry" in page.inner_text("[data-testid=upload-preview]")
    # Edit the mapping: leaving the ID number unmapped is an error shown at once (HTMX
    # re-renders the table), mapping it again clears it, and the phone column is dropped.
    id_select = "select[data-header=公民身份号码]"
    assert page.input_value(id_select) == "id_no"
    page.select_option(id_select, "")
    page.wait_for_selector("[data-testid=mapping-errors]")
    assert "必填字段未映射" in page.inner_text("[data-testid=mapping-errors]")
    page.select_option(id_select, "id_no")
    page.wait_for_selector("[data-testid=mapping-errors]", state="detached")
    page.select_option("select[data-header=联系电话]", label="（不使用）")
    page.wait_for_selector("tr.unused select[data-header=联系电话]")
    page.click("[data-testid=confirm-upload]")
    page.wait_for_selector("[data-testid=ingest-report]")
    assert page.inner_text("[data-testid=rows-loaded]") == "3"
    saved = find_mapping(world.settings.mappings_dir, REGISTRY_HEADERS)
    assert saved is not None and saved.confirmed and saved.columns["联系电话"] is None
    page.goto(f"{base}/data")
    page.wait_for_selector("[data-chart=quality-chart-dimensions][data-rendered='1']")
    page.wait_for_selector("[data-chart=quality-chart-quarantine][data-rendered='1']")
    assert page.errors == [] and page.offsite == []


def _until(page, check, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a condition from Python (the CSP forbids the page evaluating strings)."""
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not met in time")


def test_library_profile_graph_renders(tmp_path, browser):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    from unittest.mock import patch

    from qingfeng.store import users as store_users
    from qingfeng.store.users import create_org, create_user
    from web_helpers import PASSWORD, password_hash

    world = make_world(tmp_path)
    con = duckdb.connect()
    create_county(con)
    build_libraries(con, libraries_dir(world.settings.lake_dir))
    con.close()
    with (
        patch.object(store_users, "hash_password", lambda _p: password_hash()),
        world.factory() as s,
        s.begin(),
    ):
        here = create_org(s, "上城区纪委监委", "county", "330102")
        create_user(s, "sup_hz", PASSWORD, "supervisor", here.id)
    with running_server(create_app(world.settings)) as base:
        page = new_page(browser, base)
        sign_in(page, base, "sup_hz")
        page.goto(f"{base}/people")
        page.fill("input[name=q]", P["zhang_min"])
        page.click("form.filters button[type=submit]")
        page.wait_for_selector("[data-testid=library-profile]")
        page.wait_for_selector("[data-testid=lib-graph][data-rendered='1']")
        # Expand the company node the way app.js does (POST with the page's CSRF header).
        before = page.evaluate(
            "echarts.getInstanceByDom(document.querySelector('[data-testid=lib-graph]'))"
            ".getOption().series[0].data.length"
        )
        status = page.evaluate(
            """() => {
              const el = document.querySelector('[data-testid=lib-graph]');
              const chart = echarts.getInstanceByDom(el);
              const node = chart.getOption().series[0].data.find(n => n.name.includes('敏捷贸易'));
              const token = node.expand;
              const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
              return fetch('/people/graph', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
                body: JSON.stringify({node: token})}).then(r => r.status);
            }"""
        )
        assert before > 3 and status == 200
        # A real click on the company node: its neighbours join the graph, the profiled person
        # (its legal representative) is not drawn a second time.
        page.locator("[data-testid=lib-graph]").scroll_into_view_if_needed()
        page.wait_for_timeout(2500)  # the force layout settles
        point = page.evaluate(
            """() => {
              const el = document.querySelector('[data-testid=lib-graph]');
              const chart = echarts.getInstanceByDom(el);
              const data = chart.getModel().getSeriesByIndex(0).getData();
              let i = 0;
              for (; i < data.count(); i++) if (data.getName(i).includes('敏捷贸易')) break;
              const xy = chart.convertToPixel({seriesIndex: 0}, data.getItemLayout(i));
              const box = el.getBoundingClientRect();
              return [box.left + xy[0], box.top + xy[1]];
            }"""
        )
        page.mouse.click(point[0], point[1])
        count = (
            "() => echarts.getInstanceByDom(document.querySelector('[data-testid=lib-graph]'))"
            ".getOption().series[0].data"
        )
        _until(page, lambda: page.evaluate(f"({count})().length") > before)
        names = page.evaluate(f"({count})().map(n => n.name)")
        assert any("杭州控股有限公司" in n for n in names)
        assert sum("张敏" in n for n in names) == 1
        # The relation filter hides the kinship edges and the relatives they lead to.
        shown = page.evaluate(f"({count})().length")
        page.uncheck("[data-graph-filter=kinship]")
        _until(page, lambda: page.evaluate(f"({count})().length") < shown)
        assert not any("张伟" in n for n in page.evaluate(f"({count})().map(n => n.name)"))
        page.check("[data-graph-filter=kinship]")
        _until(page, lambda: page.evaluate(f"({count})().length") == shown)
        assert page.errors == [] and page.offsite == []


def test_admin_creates_a_user_who_changes_the_temporary_password(live_empty, browser):
    world, base = live_empty
    page = new_page(browser, base)
    sign_in(page, base, "admin")
    page.click("nav >> text=用户与组织")
    page.wait_for_selector("[data-testid=users-list]")
    form = "[data-testid=user-create]"
    page.fill(f"{form} input[name=username]", "liu")
    page.fill(f"{form} input[name=display_name]", "刘监督")
    page.select_option(f"{form} select[name=role]", "supervisor")
    page.select_option(f"{form} select[name=org_id]", str(world.orgs["county_a"].id))
    page.fill(f"{form} input[name=password]", "first-pass-1")
    page.click("[data-testid=user-create-submit]")
    page.wait_for_selector("[data-testid=users-flash]")
    assert "已创建用户 liu" in page.inner_text("[data-testid=users-flash]")
    row = page.locator("[data-testid=user-row][data-username=liu]")
    assert "待修改临时密码" in row.inner_text() and "都匀市纪委监委" in row.inner_text()
    page.click("text=退出")
    assert page.offsite == [] and page.errors == []

    newcomer = new_page(browser, base)
    newcomer.goto(f"{base}/login")
    newcomer.fill("input[name=username]", "liu")
    newcomer.fill("input[name=password]", "first-pass-1")
    newcomer.click("button[type=submit]")
    newcomer.wait_for_url(f"{base}/account/password")
    assert newcomer.get_by_test_id("must-change").is_visible()
    newcomer.fill("input[name=current]", "first-pass-1")
    newcomer.fill("input[name=new]", "liu's own pass")
    newcomer.fill("input[name=repeat]", "liu's own pass")
    newcomer.click("[data-testid=password-submit]")
    newcomer.wait_for_selector("[data-testid=password-changed]")
    newcomer.goto(f"{base}/warnings")
    assert newcomer.get_by_test_id("warning-count").inner_text() == "共 3 条预警"
    assert newcomer.offsite == [] and newcomer.errors == []
