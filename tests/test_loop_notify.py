"""Reminders that reach people (in the app and over real SMTP), automatic escalation, the 督办
ranking, printable letters and third parties masked by the models' own lineage.

Store tests run on SQLite and PostgreSQL; e-mail goes to a real SMTP server (aiosmtpd) on a free
local port."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mail_helpers import Inbox, free_port, smtp_server
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.letters import build_letter, render_letter
from qingfeng.loop.mail import MailConfig, MailConfigError, load_mail_config
from qingfeng.loop.notifications import list_for, mark_read, unread_count
from qingfeng.loop.ranking import rank_units
from qingfeng.loop.reminders import remind
from qingfeng.loop.service import actor_for
from qingfeng.loop.third_parties import Layouts, layout_of, mask_warning
from qingfeng.store.models import AuditLog, Notification, ReminderLog, User, Warning, WarningEvent
from store_helpers import make_warning, migrated_factory, org_tree, quick_user, tx

ZONE = ZoneInfo("Asia/Shanghai")
# Friday 13 March 2026, 10:00 in Shanghai: an ordinary working week (no holidays near it).
NOW = datetime(2026, 3, 13, 10, 0, tzinfo=ZONE)
ID_NUMBER = re.compile(r"\d{17}[\dXx]")


def _end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=ZONE)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


def _mail(port: int) -> MailConfig:
    return MailConfig(
        host="127.0.0.1",
        port=port,
        sender="清风平台 <qingfeng@jw.example.gov.cn>",
        base_url="https://qf.example.gov.cn",
    )


@pytest.fixture
def world(store_url: str) -> Iterator[dict[str, object]]:
    """Township → county → city; people with and without e-mail; six warnings around NOW."""
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        with tx(factory) as s:
            town, county, city = orgs["township"], orgs["county_a"], orgs["city"]
            sup_town = quick_user(s, "sup_town", "supervisor", town.id)
            sup_town.email = "sup_town@jw.example.gov.cn"
            quick_user(s, "ver_town", "verifier", town.id)  # no address: in the app only
            sup_a = quick_user(s, "sup_a", "supervisor", county.id)
            sup_a.email = "sup_a@jw.example.gov.cn"
            leader = quick_user(s, "leader_a", "leader", county.id)
            leader.email = "leader_a@jw.example.gov.cn"
            quick_user(s, "lead_city", "leader", city.id)
            quick_user(s, "sup_city", "supervisor", city.id)

            def w(org: int, status: str, due: str | None, **extra: object) -> int:
                return make_warning(
                    s, status=status, org_id=org, due_at=_end_of(due) if due else None, **extra
                ).id

            ids = {
                # 6 working days overdue at the township: reminded, then escalated to the county
                "late": w(town.id, "verifying", "2026-03-05"),
                "soon": w(town.id, "dispatched", "2026-03-16"),  # due Monday: due soon
                "county_late": w(county.id, "verifying", "2026-03-12"),  # 1 working day late
                "paused": w(county.id, "verifying", "2026-03-02", paused=True),
                "archived": w(county.id, "archived", None),
                "far": w(town.id, "verifying", "2026-03-31"),
            }
        yield {"factory": factory, "orgs": orgs, "ids": ids}


def _config(**extra: object) -> LoopConfig:
    return LoopConfig.model_validate({"escalate_after_working_days": 5, **extra})


def _notes(factory: sessionmaker[Session], username: str) -> list[Notification]:
    with factory() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        return list_for(s, user.id)


def test_reminders_reach_people_in_the_app_and_by_email(world, smtp, caplog) -> None:  # type: ignore[no-untyped-def]
    factory, ids = world["factory"], world["ids"]
    inbox, port = smtp
    caplog.set_level(logging.DEBUG, logger="qingfeng")
    report = remind(
        factory,
        _config(),
        _mail(port),
        now=NOW,
        model_names={"dead_still_paid": "死亡人员仍领取补贴"},
    )

    assert report.candidates == 3  # late, soon, county_late; paused, archived and far are not
    assert (report.overdue, report.due_soon, report.escalated) == (2, 1, 1)
    # the township's two people: one overdue and one due-soon reminder each
    kinds = {n.warning_id: n.kind for n in _notes(factory, "ver_town")}
    assert kinds == {ids["late"]: "overdue", ids["soon"]: "due_soon"}
    # the county hears of its own late warning and of the one escalated to it
    sup_a = {(n.warning_id, n.kind) for n in _notes(factory, "sup_a")}
    assert sup_a == {(ids["county_late"], "overdue"), (ids["late"], "escalated")}
    assert {(n.warning_id, n.kind) for n in _notes(factory, "leader_a")} == {
        (ids["late"], "escalated")
    }
    assert _notes(factory, "lead_city") == []

    # one e-mail per person with an address, to that person only
    assert report.emails_sent == 3 and report.emails_failed == 0
    assert sorted(r for _f, rcpt, _m in inbox.messages for r in rcpt) == [
        "leader_a@jw.example.gov.cn",
        "sup_a@jw.example.gov.cn",
        "sup_town@jw.example.gov.cn",
    ]
    (town_mail,) = inbox.to("sup_town@jw.example.gov.cn")
    assert town_mail["Subject"] == (
        "【清风】预警提醒：超期 1 条、临期 1 条 / qingfeng reminders: 1 overdue, 1 due soon"
    )
    assert "qingfeng@jw.example.gov.cn" in town_mail["From"]
    body = town_mail.get_content()
    assert "sup_town，您好" in body
    assert f"超期提醒：预警 {ids['late']} 已超期 6 个工作日" in body
    assert f"临期提醒：预警 {ids['soon']} 将于 2026-03-16 23:59 到期" in body
    assert "死亡人员仍领取补贴" in body and "广惠街道纪工委" in body
    assert f"https://qf.example.gov.cn/warnings/{ids['soon']}" in body
    (county_mail,) = inbox.to("sup_a@jw.example.gov.cn")
    assert f"提级督办：预警 {ids['late']} 已提级至 都匀市纪委监委" in county_mail.get_content()
    # no ID number, no name anywhere: not in the mails, not in the logs
    with factory() as s:
        subject_ids = set(s.scalars(select(Warning.subject_id)))
    assert len(subject_ids) == 6
    for _f, _r, msg in inbox.messages:
        text = f"{msg['Subject']}\n{msg.get_content()}"
        assert not ID_NUMBER.search(text) and "王小明" not in text
        assert not any(i in msg.as_string() for i in subject_ids)
    assert not any(i in caplog.text for i in subject_ids)
    with factory() as s:
        assert {n.email_status for n in s.scalars(select(Notification))} == {"sent", None}
        none_for = s.scalars(
            select(Notification.email_status)
            .join(User, User.id == Notification.user_id)
            .where(User.username == "ver_town")
        ).all()
        assert set(none_for) == {None}  # no address: in the app only


def test_running_again_reminds_nobody_twice(world, smtp) -> None:  # type: ignore[no-untyped-def]
    factory, ids = world["factory"], world["ids"]
    inbox, port = smtp
    remind(factory, _config(), _mail(port), now=NOW)
    sent = len(inbox.messages)
    again = remind(factory, _config(), _mail(port), now=NOW + timedelta(hours=3))
    assert (again.notifications, again.escalated, again.emails_sent) == (0, 0, 0)
    assert again.already == 3
    assert len(inbox.messages) == sent
    with factory() as s:
        assert s.get_one(Warning, ids["late"]).escalation_level == 1
        log = s.scalars(select(ReminderLog).where(ReminderLog.warning_id == ids["late"])).all()
        assert sorted((r.kind, r.step) for r in log) == [("escalated", 1), ("overdue", 0)]


def test_escalation_goes_up_one_level_per_period_on_the_timeline_and_audited(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids, orgs = world["factory"], world["ids"], world["orgs"]
    remind(factory, _config(), MailConfig(), now=NOW)
    with factory() as s:
        late = s.get_one(Warning, ids["late"])
        assert late.org_id == orgs["county_a"].id and late.escalation_level == 1
        event = s.scalars(
            select(WarningEvent).where(
                WarningEvent.warning_id == late.id, WarningEvent.action == "escalate"
            )
        ).one()
        assert event.actor_id is None  # the system, not a person
        assert event.payload["org"] == "都匀市纪委监委"
        assert "超期 6 个工作日，自动提级" in event.payload["reason"]
        row = s.scalars(
            select(AuditLog).where(
                AuditLog.action == "warning.escalate", AuditLog.object_id == str(late.id)
            )
        ).one()
        assert row.actor == "system" and row.detail["org_id"] == orgs["county_a"].id
    # five more working days (Friday 20 March): one level further, to the city; the county's
    # own warning, now 6 working days late, goes up to the city as well
    later = remind(factory, _config(), MailConfig(), now=NOW + timedelta(days=7))
    assert later.escalated == 2
    with factory() as s:
        late = s.get_one(Warning, ids["late"])
        assert late.org_id == orgs["city"].id and late.escalation_level == 2
        county_late = s.get_one(Warning, ids["county_late"])
        assert county_late.org_id == orgs["city"].id and county_late.escalation_level == 1
    assert {n.kind for n in _notes(factory, "sup_city")} == {"escalated"}
    # the soon one is overdue now: a new kind of reminder for the same deadline
    assert {n.kind for n in _notes(factory, "ver_town") if n.warning_id == ids["soon"]} == {
        "due_soon",
        "overdue",
    }


def test_escalation_can_be_switched_off_and_stops_at_the_top(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids = world["factory"], world["ids"]
    off = remind(factory, _config(escalate_after_working_days=0), MailConfig(), now=NOW)
    assert off.escalated == 0
    with factory() as s:
        assert s.get_one(Warning, ids["late"]).escalation_level == 0
    with tx(factory) as s:
        top = make_warning(
            s, status="verifying", org_id=world["orgs"]["province"].id,
            due_at=_end_of("2026-03-05"),
        ).id  # fmt: skip
    first = remind(factory, _config(), MailConfig(), now=NOW)
    assert [wid for wid, _why in first.not_escalated] == [top]
    assert "has no higher unit" in first.not_escalated[0][1]
    again = remind(factory, _config(), MailConfig(), now=NOW + timedelta(hours=1))
    assert again.not_escalated == []  # said once, not every run


def test_without_mail_server_reminders_stay_in_the_app(world) -> None:  # type: ignore[no-untyped-def]
    factory = world["factory"]
    report = remind(factory, _config(), MailConfig(), now=NOW)
    assert not report.mail_enabled and report.emails_sent == 0 and report.notifications == 7
    with factory() as s:
        assert {n.email_status for n in s.scalars(select(Notification))} == {None}


def test_a_server_that_is_down_is_retried_on_the_next_run(world, smtp) -> None:  # type: ignore[no-untyped-def]
    factory = world["factory"]
    inbox, port = smtp
    down = remind(factory, _config(), _mail(free_port()), now=NOW)  # nobody listens there
    assert down.emails_sent == 0 and down.mail_error and down.notifications == 7
    retry = remind(factory, _config(), _mail(port), now=NOW + timedelta(hours=1))
    assert retry.notifications == 0 and retry.emails_sent == 3
    assert len(inbox.messages) == 3


def test_mark_read_only_touches_ones_own(world) -> None:  # type: ignore[no-untyped-def]
    factory = world["factory"]
    remind(factory, _config(), MailConfig(), now=NOW)
    with tx(factory) as s:
        town = s.scalars(select(User).where(User.username == "ver_town")).one()
        other = s.scalars(select(User).where(User.username == "sup_a")).one()
        theirs = list_for(s, other.id)[0].id
        assert unread_count(s, town.id) == 2
        assert mark_read(s, town.id, [theirs], NOW) == 0  # someone else's: ignored
        first = list_for(s, town.id)[0].id
        assert mark_read(s, town.id, [first], NOW) == 1
        assert unread_count(s, town.id) == 1
        assert mark_read(s, town.id, None, NOW) == 1
        assert unread_count(s, town.id) == 0 and unread_count(s, other.id) == 2


def test_ranking_orders_units_by_overdue_work(world) -> None:  # type: ignore[no-untyped-def]
    factory, orgs = world["factory"], world["orgs"]
    with tx(factory) as s:
        leader = s.scalars(select(User).where(User.username == "leader_a")).one()
        rows = rank_units(actor_for(s, leader, _config(), NOW))
    by_name = {r.name: r for r in rows}
    town, county = by_name["广惠街道纪工委"], by_name["都匀市纪委监委"]
    assert (town.overdue, town.due_soon, town.open, town.late_days) == (1, 1, 3, 6)
    assert (county.overdue, county.open) == (1, 2)  # the paused one is open, not overdue
    assert [r.name for r in rows][:2] == ["广惠街道纪工委", "都匀市纪委监委"]
    assert "黔南州纪委监委" not in by_name  # above the leader's unit: not theirs to rank
    with tx(factory) as s:
        verifier = s.scalars(select(User).where(User.username == "ver_town")).one()
        with pytest.raises(Exception, match="may not see the ranking"):
            rank_units(actor_for(s, verifier, _config(), NOW))
    del orgs


def test_letter_masks_the_subject_and_is_audited(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids = world["factory"], world["ids"]
    with tx(factory) as s:
        sup = s.scalars(select(User).where(User.username == "sup_a")).one()
        actor = actor_for(s, sup, _config(), NOW)
        warning = s.get_one(Warning, ids["county_late"])
        subject_id = warning.subject_id
        letter = build_letter(
            actor,
            warning,
            "supervision",
            model_name="死亡人员仍领取补贴",
            layout=Layouts(None).get("x"),
        )
    html = render_letter(letter)
    assert "督办单" in html and "都匀市纪委监委：" in html
    assert subject_id not in html and f"{subject_id[:4]}**********{subject_id[-4:]}" in html
    assert "王小明" not in html and "王*明" in html
    assert "2026年03月12日（已超期 1 个工作日）" in html
    assert "@page { size: A4 portrait" in html and "@media print" in html
    assert "（盖章）" in html and "经办人：sup_a" in html
    with factory() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "warning.letter")).one()
        assert row.actor == "sup_a" and row.detail["kind"] == "supervision"


def test_mail_settings_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "qingfeng.toml"
    assert not load_mail_config(cfg).enabled  # no file: in the app only
    cfg.write_text('[mail]\nhost = "smtp.x.cn"\nport = 465\nssl = true\nstarttls = true\n'
                   'sender = "a@x.cn"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(MailConfigError, match=r"qingfeng\.toml.*starttls and ssl exclude"):
        load_mail_config(cfg)
    cfg.write_text('[mail]\nhost = "smtp.x.cn"\nsender = "nobody"\n', encoding="utf-8")
    with pytest.raises(MailConfigError, match=r"mail\.sender"):
        load_mail_config(cfg)
    cfg.write_text('[mail]\nhost = "smtp.x.cn"\nport = "x"\n', encoding="utf-8")
    with pytest.raises(MailConfigError, match=r"mail\.port"):
        load_mail_config(cfg)


# --- third parties ---------------------------------------------------------------------------

RELATIVE_MODEL = """
id: renamed_relative
version: "1.0.0"
name: {zh: 测试, en: Test}
field: 民生资金
description: test
legal_basis: [{document: 测试}]
inputs: [subsidy_payments]
logic:
  sql: |
    SELECT p.approver_id_no, p.period, MIN(p.name) AS lqr, MIN(p.id_no) AS zjhm,
           COUNT(p.name) AS holder_name, MIN(p.subsidy_type) AS subsidy_type,
           MIN(p.division_code) AS division_code, SUM(p.amount) AS amount
    FROM subsidy_payments AS p
    GROUP BY p.approver_id_no, p.period
subject: {type: person, id: approver_id_no}
period: period
severity: [{level: orange}]
amount: amount
division: division_code
evidence: [lqr, zjhm, holder_name, subsidy_type]
explanation: "为{lqr}审批{subsidy_type}{amount}元，共{holder_name}人"
"""


def test_personal_values_are_found_by_lineage_not_by_key_names() -> None:
    from qingfeng.engine.loader import parse_model_text

    layout = layout_of(parse_model_text(RELATIVE_MODEL))
    # lqr / zjhm carry subsidy_payments.name / id_no (personal, sensitive): masked whatever
    # they are called; holder_name is a count, subsidy_type a code table: readable
    assert layout.evidence == {"lqr": "name", "zjhm": "id"}
    assert layout.sentence == {"lqr": "name"}
    masked = mask_warning(
        "为黄翠审批低保金600.00元，共1人",
        {"lqr": "黄翠", "zjhm": "522701194501010022", "holder_name": 1, "subsidy_type": "低保金",
         "additional_rows": [{"lqr": "黄翠花", "zjhm": "522701194501010033"}]},
        layout,
    )  # fmt: skip
    assert masked.explanation == "为黄*审批低保金600.00元，共1人"
    assert masked.evidence["lqr"] == "黄*" and masked.evidence["subsidy_type"] == "低保金"
    assert masked.evidence["zjhm"] == "5227**********0022"
    assert masked.evidence["additional_rows"][0] == {"lqr": "黄*花", "zjhm": "5227**********0033"}


def test_library_models_mask_their_third_parties() -> None:
    layouts = Layouts(None)
    layout = layouts.get("approval_for_relative")
    assert layout.evidence == {"recipient_name": "name"}  # not recipient_relation (an enum)
    masked = mask_warning(
        "审批人村干部甲在2024-03为同户亲属黄翠审批低保金600.00元",
        {"recipient_name": "黄翠", "recipient_relation": "parent", "subsidy_type": "低保金"},
        layout,
        keep=("村干部甲",),
    )
    assert masked.explanation == "审批人村干部甲在2024-03为同户亲属黄*审批低保金600.00元"
    assert masked.evidence["recipient_relation"] == "parent"
    # a procurement model names organisations, which are not personal: nothing to mask
    assert layouts.get("bid_price_anomaly").empty


def test_short_values_are_masked_where_they_stand_not_searched_for() -> None:
    from qingfeng.engine.loader import parse_model_text

    layout = layout_of(parse_model_text(RELATIVE_MODEL))
    masked = mask_warning(
        "为李审批李家村低保金600.00元，共1人",
        {"lqr": "李", "subsidy_type": "李家村低保金", "holder_name": 1},
        layout,
    )
    # the one-character name is masked in its placeholder and its evidence key only
    assert masked.explanation == "为*审批李家村低保金600.00元，共1人"
    assert masked.evidence == {"lqr": "*", "subsidy_type": "李家村低保金", "holder_name": 1}
    # a list of names aggregated into one value is masked name by name
    listed = mask_warning("x", {"lqr": "黄翠、黄强", "zjhm": None}, layout)
    assert listed.evidence["lqr"] == "黄*、黄*"
