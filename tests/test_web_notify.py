"""The back office's side of reminders and privacy: the notification badge and page, the 督办
ranking, printable letters, the audited opening of a warning and third parties masked until a
reason is given (pages and API), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qingfeng.loop.config import LoopConfig
from qingfeng.loop.mail import MailConfig
from qingfeng.loop.reminders import remind
from qingfeng.store.models import AuditLog, Warning, utcnow
from web_helpers import add_warning, client_for, csrf_from, make_world, sign_in

RELATIVE = "审批人村干部甲在2024-03为同户亲属黄翠审批低保金600.00元"


@pytest.fixture
def world(tmp_path, store_url):  # type: ignore[no-untyped-def]
    world = make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)
    with world.factory() as s, s.begin():
        w = add_warning(s, "522701001002", "村干部甲", model_id="approval_for_relative")
        w.explanation = RELATIVE
        w.evidence = {
            "recipient_name": "黄翠",
            "recipient_relation": "parent",
            "subsidy_type": "低保金",
            "payments": 1,
            "amount": "600.00",
        }
        world.warnings["relative"] = [w.id]
    return world


def _audit(world, action: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with world.factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_opening_a_warning_is_audited_on_the_page_and_in_the_api(world) -> None:  # type: ignore[no-untyped-def]
    wid = world.warnings["county_a"][0]
    client = sign_in(client_for(world), "sup_a")
    assert client.get(f"/warnings/{wid}").status_code == 200
    assert client.get(f"/api/v1/warnings/{wid}").status_code == 200
    views = [(r.actor, r.object_id, r.detail["via"]) for r in _audit(world, "warning.view")]
    assert views == [("sup_a", str(wid), "page"), ("sup_a", str(wid), "api")]
    # another county's warning: not found, and nothing was viewed
    other = world.warnings["county_b"][0]
    assert client.get(f"/warnings/{other}").status_code == 404
    assert len(_audit(world, "warning.view")) == 2


def test_third_parties_are_masked_until_a_reason_is_given(world) -> None:  # type: ignore[no-untyped-def]
    wid = world.warnings["relative"][0]
    client = sign_in(client_for(world), "sup_a")
    page = client.get(f"/warnings/{wid}")
    assert "黄翠" not in page.text
    assert "同户亲属黄*审批低保金" in page.text  # in the sentence
    assert "村干部甲" in page.text  # the subject, for a supervisor, as before
    assert "parent" in page.text  # a relation is not an identity
    # a reason too short is refused and reveals nothing
    short = client.post(
        f"/warnings/{wid}/reveal", data={"reason": "看", "csrf_token": csrf_from(page.text)}
    )
    assert short.status_code == 422 and "黄翠" not in short.text
    shown = client.post(
        f"/warnings/{wid}/reveal",
        data={"reason": "核查亲属关系是否属实", "csrf_token": csrf_from(page.text)},
    )
    assert shown.status_code == 200 and "同户亲属黄翠审批" in shown.text
    (reveal,) = _audit(world, "warning.reveal")
    assert reveal.actor == "sup_a" and reveal.detail == {
        "purpose": "核查亲属关系是否属实",
        "via": "page",
    }
    # the API masks by the same rule, and reveals with a purpose
    api = client.get(f"/api/v1/warnings/{wid}").json()
    assert "黄翠" not in api["explanation"] and api["evidence"]["recipient_name"] == "黄*"
    clear = client.get(f"/api/v1/warnings/{wid}?reveal=true&purpose=核查").json()
    assert clear["evidence"]["recipient_name"] == "黄翠" and "黄翠" in clear["explanation"]


def test_a_role_without_the_right_cannot_reveal(world) -> None:  # type: ignore[no-untyped-def]
    wid = world.warnings["relative"][0]
    client = sign_in(client_for(world), "leader")
    page = client.get(f"/warnings/{wid}")
    assert page.status_code == 200 and "黄翠" not in page.text and "村干部甲" not in page.text
    refused = client.post(
        f"/warnings/{wid}/reveal",
        data={"reason": "想看看是谁家的", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 403
    assert _audit(world, "warning.reveal") == []


def test_notification_badge_page_and_mark_read(world) -> None:  # type: ignore[no-untyped-def]
    overdue, soon = world.warnings["county_a"][:2]
    now = utcnow()
    with world.factory() as s, s.begin():
        for wid, due in ((overdue, now - timedelta(days=1)), (soon, now + timedelta(hours=2))):
            w = s.get_one(Warning, wid)
            w.status, w.org_id, w.due_at = "verifying", world.orgs["county_a"].id, due
    remind(world.factory, LoopConfig(escalate_after_working_days=0), MailConfig(), now=now)
    client = sign_in(client_for(world), "ver_a")
    home = client.get("/warnings")
    assert 'data-testid="notifications-unread">2<' in home.text
    page = client.get("/notifications")
    assert page.text.count('data-testid="notification"') == 2
    assert f"预警 {overdue}" in page.text and f"预警 {soon}" in page.text
    opened = client.post(
        "/notifications/read",
        data={
            "id": _first_id(world, "ver_a"),
            "warning": str(soon),
            "csrf_token": csrf_from(page.text),
        },
    )
    assert opened.status_code == 303 and opened.headers["location"] == f"/warnings/{soon}"
    assert 'data-testid="notifications-unread">1<' in client.get("/warnings").text
    done = client.post("/notifications/read", data={"all": "1", "csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert "notifications-unread" not in client.get("/warnings").text
    # someone else's list is their own: the county B supervisor has nothing
    other = sign_in(client_for(world), "sup_b")
    assert 'data-testid="no-notifications"' in other.get("/notifications").text


def _first_id(world, username: str) -> str:  # type: ignore[no-untyped-def]
    from qingfeng.store.models import Notification, User

    with world.factory() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return str(
            s.scalars(
                select(Notification.id)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            ).first()
        )


def test_supervision_ranking_for_supervisors_and_leaders_only(world) -> None:  # type: ignore[no-untyped-def]
    leader = sign_in(client_for(world), "leader")
    page = leader.get("/supervision")
    assert page.status_code == 200 and 'href="/supervision"' in page.text
    assert "都匀市纪委监委" in page.text and "福泉市纪委监委" in page.text
    verifier = sign_in(client_for(world), "ver_a")
    assert verifier.get("/supervision").status_code == 403
    assert 'href="/supervision"' not in verifier.get("/warnings").text


def test_letters_are_print_ready_masked_and_audited(world) -> None:  # type: ignore[no-untyped-def]
    wid = world.warnings["relative"][0]
    with world.factory() as s:
        subject_id = s.get_one(Warning, wid).subject_id
    client = sign_in(client_for(world), "sup_a")
    detail = client.get(f"/warnings/{wid}")
    assert f'href="/warnings/{wid}/letter?kind=supervision"' in detail.text
    letter = client.get(f"/warnings/{wid}/letter?kind=reminder")
    assert letter.status_code == 200 and "<h1>提醒函</h1>" in letter.text
    assert subject_id not in letter.text and subject_id[-4:] in letter.text
    assert "黄翠" not in letter.text and "村干部甲" not in letter.text and "黄*" in letter.text
    custom = client.post(
        f"/warnings/{wid}/letter",
        data={
            "kind": "supervision",
            "instructions": "请于五个工作日内书面报告核查结果。",
            "csrf_token": csrf_from(detail.text),
        },
    )
    assert "<h1>督办单</h1>" in custom.text and "请于五个工作日内书面报告核查结果。" in custom.text
    kinds = [r.detail["kind"] for r in _audit(world, "warning.letter")]
    assert kinds == ["reminder", "supervision"]
    assert client.get(f"/warnings/{wid}/letter?kind=memo").status_code == 400
    verifier = sign_in(client_for(world), "ver_a")
    assert verifier.get(f"/warnings/{wid}/letter?kind=reminder").status_code == 403


def test_exports_mask_third_parties_too(world) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), "sup_a")
    csv_text = client.get("/warnings/export.csv").text
    assert "同户亲属黄*审批" in csv_text and "黄翠" not in csv_text
    assert "村干部甲" in csv_text  # the subject, for a supervisor, as before
    jsonl = client.get("/api/v1/warnings/export?format=jsonl").text
    assert "黄翠" not in jsonl and '"recipient_name": "黄*"' in jsonl
