"""The queues in Debian's Chromium (Playwright): the verifier's whole path (lands on the queue →
accepts → verifies with an attachment → submits) and the supervised unit's (sees only its own
items → explains with evidence → the supervisor sends it back → resubmits → approved).
Marked `browser`; skipped before any fixture runs when /usr/bin/chromium is absent."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from chromium import chromium
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import ActionRequest
from qingfeng.loop.service import act, actor_for
from qingfeng.store.models import Attachment, AuditLog, User, Warning
from qingfeng.store.users import create_org, create_user
from qingfeng.web.app import create_app
from qingfeng.web.liveserver import running_server
from qingfeng.web.screenshots import CHROMIUM_ARGS, VIEWPORT
from web_helpers import PASSWORD, add_warning, make_world

CHROMIUM = chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)",
    ),
]
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def live(tmp_path):  # type: ignore[no-untyped-def]
    """The web world plus a supervised unit (a township government) with its own account, one
    warning dispatched to the county's verifier and one to the unit."""
    world = make_world(tmp_path)
    with world.factory() as s, s.begin():
        unit = create_org(s, "广惠街道办事处", "department", None, world.orgs["county_a"])
        create_user(s, "unit_a", PASSWORD, "supervised_unit", unit.id, display_name="街道联络员")
        sup = s.scalar(select(User).where(User.username == "sup_a"))
        assert sup is not None
        actor = actor_for(s, sup, LoopConfig())
        to_verifier = add_warning(s, "522701001004", "陈一", severity="orange")
        to_unit = add_warning(s, "522701001005", "黄二", severity="red", amount="8600.00")
        county = world.orgs["county_a"].id
        req = ActionRequest(org_id=county, days=10, instructions="请十日内核实")
        act(actor, to_verifier.id, "dispatch", req)
        req = ActionRequest(org_id=unit.id, instructions="请说明情况并提交整改方案")
        act(actor, to_unit.id, "dispatch", req)
        ids = {"verifier": to_verifier.id, "unit": to_unit.id}
    with running_server(create_app(world.settings)) as base:
        yield world, base, ids


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, base):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.offsite, page.errors = [], []
    host = urlparse(base).netloc
    page.on(
        "request", lambda r: urlparse(r.url).netloc not in (host, "") and page.offsite.append(r.url)
    )
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("text=退出")
    page.wait_for_url(re.compile(r".*/login$"))


def do_action(page, action: str, fields: dict[str, str], files: list[Path] = ()) -> None:  # type: ignore[no-untyped-def,assignment]
    form = page.locator(f"form[data-form={action}]")
    details = page.locator(f"details:has(form[data-form={action}])")
    if details.count() and not details.get_attribute("open"):
        details.locator("summary").click()
    for name, value in fields.items():
        target = form.locator(f"[name={name}]")
        if target.evaluate("el => el.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    if files:
        form.locator("input[type=file]").set_input_files([str(f) for f in files])
    form.locator(f"button[data-action={action}]").click()
    page.wait_for_load_state("networkidle")


def status(page) -> str:  # type: ignore[no-untyped-def]
    return page.get_by_test_id("warning-status").inner_text()


def test_verifier_lands_on_the_queue_accepts_verifies_with_evidence_and_submits(
    live, browser, tmp_path
):  # type: ignore[no-untyped-def]
    world, base, ids = live
    wid = ids["verifier"]
    page = new_page(browser, base)
    sign_in(page, base, "ver_a")
    assert page.url.endswith("/warnings?queue=to_accept")
    assert page.get_by_test_id("queue-title").inner_text() == "待签收"
    assert page.get_by_test_id("badge-to_accept").inner_text() == "1"
    # only what was dispatched to the county: the township's new warnings are not the verifier's
    assert page.get_by_test_id("warning-count").inner_text() == "共 1 条预警"
    page.click(f"a[href='/warnings/{wid}']")
    page.wait_for_load_state("networkidle")
    assert "请十日内核实" in page.get_by_test_id("timeline").inner_text()
    do_action(page, "accept", {})
    assert status(page) == "核查中"
    page.goto(f"{base}/warnings?queue=verifying")
    assert page.get_by_test_id("badge-verifying").inner_text() == "1"
    page.goto(f"{base}/warnings/{wid}")
    evidence = tmp_path / "银行流水.pdf"
    evidence.write_bytes(PDF)
    # a wrong file is refused with its name, and nothing of the action is kept
    fake = tmp_path / "说明.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    do_action(page, "submit", {"note": "核实属实"}, [fake])
    assert "说明.pdf" in page.get_by_test_id("action-error").inner_text()
    assert status(page) == "核查中"
    do_action(
        page,
        "submit",
        {"note": "经核实，死亡后仍领取补贴 3 个月", "finding": "confirmed"},
        [evidence],
    )
    assert status(page) == "待审核"
    assert "银行流水.pdf" in page.get_by_test_id("attachments").inner_text()
    assert "经核实" in page.get_by_test_id("submission").inner_text()
    with page.expect_download() as got:
        page.get_by_test_id("attachments").locator("a", has_text="银行流水.pdf").click()
    assert Path(got.value.path()).read_bytes() == PDF
    assert page.offsite == [] and page.errors == []
    with world.factory() as s:
        w = s.get_one(Warning, wid)
        assert w.status == "submitted" and w.submission["finding"] == "confirmed"
        assert s.scalar(select(func.count()).where(Attachment.warning_id == wid)) == 1
        downloads = s.scalar(
            select(func.count()).where(
                AuditLog.action == "attachment.download", AuditLog.actor == "ver_a"
            )
        )
        assert downloads == 1
    # the supervisor now finds it waiting for review
    sign_out(page)
    sign_in(page, base, "sup_a")
    assert page.url.endswith("/warnings?queue=to_dispatch")
    assert page.get_by_test_id("badge-to_review").inner_text() == "1"


def test_supervised_unit_explains_is_sent_back_resubmits_and_is_approved(live, browser, tmp_path):  # type: ignore[no-untyped-def]
    world, base, ids = live
    wid = ids["unit"]
    unit = new_page(browser, base)
    sign_in(unit, base, "unit_a")
    assert unit.url.endswith("/warnings?queue=to_accept")
    assert unit.get_by_test_id("current-user").inner_text() == "街道联络员 · 被监督单位"
    unit.goto(f"{base}/warnings")  # the whole list: still only its own item
    assert unit.get_by_test_id("warning-count").inner_text() == "共 1 条预警"
    for other in (ids["verifier"], *world.warnings["county_a"]):
        assert unit.goto(f"{base}/warnings/{other}").status == 404
    unit.goto(f"{base}/warnings/{wid}")
    buttons = unit.locator("button[data-action]").evaluate_all(
        "els => els.map(e => e.dataset.action)"
    )
    assert "accept" in buttons and "dispatch" not in buttons and "dispose" not in buttons
    do_action(unit, "accept", {})
    assert status(unit) == "核查中"
    photo = tmp_path / "停发通知.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    do_action(
        unit,
        "submit",
        {"note": "该户已于3月停发", "report": "追回多发资金，每月比对死亡名单"},
        [photo],
    )
    assert status(unit) == "待审核"
    sign_out(unit)

    sup = new_page(browser, base)
    sign_in(sup, base, "sup_a")
    sup.goto(f"{base}/warnings?queue=to_review")
    assert sup.get_by_test_id("warning-count").inner_text() == "共 1 条预警"
    sup.click(f"a[href='/warnings/{wid}']")
    sup.wait_for_load_state("networkidle")
    assert "追回多发资金" in sup.get_by_test_id("submission").inner_text()
    do_action(sup, "send_back", {"reason": "请补充已追回资金的凭证"})
    assert status(sup) == "核查中"
    sign_out(sup)

    sign_in(unit, base, "unit_a")
    assert unit.get_by_test_id("badge-verifying").inner_text() == "1"
    unit.goto(f"{base}/warnings/{wid}")
    assert "请补充已追回资金的凭证" in unit.get_by_test_id("timeline").inner_text()
    receipt = tmp_path / "追回凭证.pdf"
    receipt.write_bytes(PDF)
    do_action(unit, "submit", {"note": "已追回 3 个月补贴，凭证见附件"}, [receipt])
    assert status(unit) == "待审核"
    sign_out(unit)

    sign_in(sup, base, "sup_a")
    sup.goto(f"{base}/warnings/{wid}")
    do_action(sup, "approve", {"finding": "confirmed"})
    assert status(sup) == "已处置"
    timeline = sup.get_by_test_id("timeline").inner_text()
    for step in ("分办", "签收核查", "报送审核", "退回补充", "审核通过", "上传附件"):
        assert step in timeline, step
    files = sup.get_by_test_id("attachments").inner_text()
    assert "停发通知.png" in files and "追回凭证.pdf" in files
    assert unit.offsite == [] and unit.errors == [] and sup.offsite == [] and sup.errors == []


def test_supervisor_bulk_dispatches_the_queue_with_a_file(live, browser, tmp_path):  # type: ignore[no-untyped-def]
    """待分办 → select all on the page → deadline, instructions and a file → 批量分办: every
    ticked warning is dispatched with the file linked to its dispatch; the file opens from each
    warning's page."""
    world, base, _ids = live
    outline = tmp_path / "核查提纲.pdf"
    outline.write_bytes(PDF)
    page = new_page(browser, base)
    sign_in(page, base, "sup_a")
    assert "queue=to_dispatch" in page.url
    page.get_by_test_id("select-all").check()
    ticked = page.locator("input[name=ids]:checked").count()
    assert ticked >= 2
    bar = page.get_by_test_id("bulk-dispatch")
    bar.locator("[name=days]").fill("7")
    bar.locator("[name=instructions]").fill("请七个工作日内核实，附核查提纲")
    page.get_by_test_id("bulk-files").set_input_files(str(outline))
    bar.locator("button[data-action=bulk-dispatch]").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("bulk-done").inner_text() == f"已分办 {ticked} 条预警"
    with world.factory() as s:
        rows = s.scalars(select(Attachment).where(Attachment.filename == "核查提纲.pdf")).all()
        dispatched = s.scalar(
            select(func.count()).where(Warning.id.in_([a.warning_id for a in rows]),
                                       Warning.status == "dispatched")
        )  # fmt: skip
        assert len(rows) == ticked == dispatched and all(a.event_id for a in rows)
        one = rows[0]
    page.goto(f"{base}/warnings/{one.warning_id}")
    with page.expect_download() as got:
        page.locator(f"a[href='/warnings/attachments/{one.id}']").first.click()
    assert Path(got.value.path()).read_bytes() == PDF
    with world.factory() as s:
        assert s.scalar(
            select(func.count()).where(AuditLog.action == "attachment.download",
                                       AuditLog.object_id == str(one.id))
        ) == 1  # fmt: skip
    assert not page.errors and not page.offsite
