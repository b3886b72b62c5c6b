"""The state machine: every allowed and every forbidden transition from the table, roles,
guards, and two people acting on one warning at once — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng import audit
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from qingfeng.loop.machine import OPEN_STATES, STATES, TRANSITIONS, ActionRequest
from qingfeng.loop.service import act, actor_for, comment, timeline
from qingfeng.store.models import AuditLog, Organisation, User, Warning, WarningEvent, utcnow
from qingfeng.store.users import create_org
from store_helpers import BACKENDS, add_user, make_warning, migrated_factory, shared_store_url, tx

CONFIG = LoopConfig()
_case = count(1)


@dataclass
class World:
    factory: sessionmaker[Session]
    orgs: dict[str, Organisation]
    users: dict[str, User]


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    gen = shared_store_url(request.param, tmp_path_factory.mktemp("machine"))
    url = next(gen)
    factory = migrated_factory(url)
    with tx(factory) as s:
        county = create_org(s, "都匀市纪委监委", "county", "522701")
        town = create_org(s, "广惠街道纪工委", "township", "522701001", county)
        team = create_org(s, "派驻组", "team", None, county)
        other = create_org(s, "福泉市纪委监委", "county", "522702")
        s.expunge_all()
    orgs = {"county": county, "township": town, "team": team, "other": other}
    users = {
        "supervisor": add_user(factory, "sup", "supervisor", county),
        "verifier": add_user(factory, "ver", "verifier", town),
        "leader": add_user(factory, "lead", "leader", county),
        "outsider": add_user(factory, "out", "supervisor", other),
    }
    yield World(factory, orgs, users)
    factory.kw["bind"].dispose()
    next(gen, None)


def prepared(world: World, state: str, **overrides: Any) -> int:
    """A warning in `state` with the fields a real one in that state would have."""
    now = utcnow()
    fields: dict[str, Any] = {"status": state}
    if state in (*OPEN_STATES, "archived", "merged"):
        fields.update(org_id=world.orgs["township"].id, dispatched_at=now)
    if state in OPEN_STATES:
        fields["due_at"] = now + timedelta(days=5)
    if state in ("disposed", "feedback", "follow_up", "archived"):
        fields.update(finding="confirmed", measures=["rectification_ordered"])
    if state == "returned":
        fields["return_reason"] = "不属本单位"
    fields.update(overrides)
    with tx(world.factory) as s:
        return make_warning(s, **fields).id


def request_for(world: World, action: str) -> ActionRequest:
    """A valid request for each action (guards satisfied)."""
    if action == "merge":
        with tx(world.factory) as s:
            target = make_warning(s).id
        return ActionRequest(target_id=target)
    n = next(_case)
    return {
        "dispatch": ActionRequest(org_id=world.orgs["township"].id),
        "accept": ActionRequest(),
        "return": ActionRequest(reason="不属本单位管辖 / not ours"),
        "reassign": ActionRequest(org_id=world.orgs["team"].id, reason="涉及民政局"),
        "escalate": ActionRequest(reason="涉及科级干部 / involves an official"),
        "assign": ActionRequest(assignee_id=world.users["verifier"].id),
        "dispose": ActionRequest(
            finding="confirmed",
            measures=["funds_recovered", "rectification_ordered"],
            funds_recovered=Decimal("1200"),
            note="已核实，死亡后领取 3 个月",
        ),
        "submit": ActionRequest(note="已核实，死亡后领取 3 个月", finding="confirmed"),
        "approve": ActionRequest(finding="confirmed", measures=["rectification_ordered"]),
        "send_back": ActionRequest(reason="缺少银行流水 / bank records missing"),
        "feedback": ActionRequest(report="已停发并追回，完善死亡信息比对机制"),
        "follow_up": ActionRequest(note="三个月后回访"),
        "archive": ActionRequest(note="整改到位 / rectification held"),
        "reopen": ActionRequest(reason="发现新情况 / new facts"),
        "open_case": ActionRequest(case_no=f"QN-2026-{n:05d}", case_title="冒领补贴案"),
        "pause": ActionRequest(reason="等待银行流水 / waiting for bank records"),
        "resume": ActionRequest(),
    }[action]


def guard_overrides(action: str, state: str) -> dict[str, Any]:
    """Field values a warning needs for the action's guard (besides being in the state)."""
    if action == "archive" and state == "disposed":
        return {"finding": "unfounded", "measures": []}
    if action == "resume":
        return {"paused": True, "paused_at": utcnow() - timedelta(days=3), "pause_reason": "x"}
    return {}


def do(world: World, who: str, wid: int, action: str, req: ActionRequest) -> Warning:
    with tx(world.factory) as s:
        user = s.merge(world.users[who])
        return act(actor_for(s, user, CONFIG), wid, action, req)


def counts(world: World, wid: int) -> tuple[int, int]:
    with tx(world.factory) as s:
        events = s.scalar(select(func.count()).where(WarningEvent.warning_id == wid))
        audits = s.scalar(
            select(func.count()).where(
                AuditLog.object_type == "warning", AuditLog.object_id == str(wid)
            )
        )
    return int(events or 0), int(audits or 0)


ALLOWED = [(t.action, s) for t in TRANSITIONS.values() for s in sorted(t.sources)]
FORBIDDEN = [(t.action, s) for t in TRANSITIONS.values() for s in STATES if s not in t.sources]


@pytest.mark.parametrize(("action", "state"), ALLOWED)
def test_allowed_transition(world: World, action: str, state: str) -> None:
    wid = prepared(world, state, **guard_overrides(action, state))
    w = do(world, "supervisor", wid, action, request_for(world, action))
    expected = TRANSITIONS[action].target or state
    assert w.status == expected
    assert w.version == 2
    with tx(world.factory) as s:
        (event,) = s.scalars(select(WarningEvent).where(WarningEvent.warning_id == wid))
        assert (event.action, event.from_state, event.to_state) == (action, state, expected)
        assert event.actor_id == world.users["supervisor"].id
        row = s.scalar(select(AuditLog).where(AuditLog.object_id == str(wid)))
        assert row is not None and row.action == f"warning.{action}"
        assert row.detail["from"] == state and row.detail["to"] == expected
    if expected in OPEN_STATES and not (expected == "disposed" and w.finding == "unfounded"):
        assert w.due_at is not None and w.due_at > utcnow()
    if expected in ("archived", "merged", "returned"):
        assert w.due_at is None


@pytest.mark.parametrize(("action", "state"), FORBIDDEN)
def test_forbidden_transition(world: World, action: str, state: str) -> None:
    wid = prepared(world, state)
    with pytest.raises(TransitionNotAllowed, match=action):
        do(world, "supervisor", wid, action, request_for(world, action))
    with tx(world.factory) as s:
        w = s.get_one(Warning, wid)
        assert (w.status, w.version) == (state, 1)
    assert counts(world, wid) == (0, 0)  # nothing half-written


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_roles_outside_the_table_are_refused(world: World, action: str) -> None:
    state = sorted(TRANSITIONS[action].sources)[0]
    wid = prepared(world, state, **guard_overrides(action, state))
    who = "verifier" if "verifier" not in TRANSITIONS[action].roles else "leader"
    # A verifier sees only what was dispatched: an undispatched warning is not even found.
    refused = NotFound if who == "verifier" and state in ("new", "returned") else PermissionDenied
    with pytest.raises(refused):
        do(world, who, wid, action, request_for(world, action))
    assert counts(world, wid) == (0, 0)


def test_the_full_loop_in_order(world: World) -> None:
    wid = prepared(world, "new")
    steps = ["dispatch", "accept", "dispose", "feedback", "follow_up", "archive"]
    for action in steps:
        do(world, "supervisor", wid, action, request_for(world, action))
    with tx(world.factory) as s:
        user = s.merge(world.users["supervisor"])
        events = timeline(actor_for(s, user, CONFIG), wid)
        w = s.get_one(Warning, wid)
    assert [e.action for e in events] == steps
    assert w.status == "archived" and w.funds_recovered == Decimal("1200.00")
    assert w.rectification_report and w.follow_up_note and w.archived_at is not None


def test_guards_name_the_problem(world: World) -> None:
    disposed_unfounded = prepared(world, "disposed", finding="unfounded", measures=[])
    with pytest.raises(TransitionNotAllowed, match="archive it"):
        do(world, "supervisor", disposed_unfounded, "feedback", ActionRequest(report="x"))
    with pytest.raises(TransitionNotAllowed, match="only a confirmed"):
        do(world, "supervisor", disposed_unfounded, "open_case", ActionRequest(case_no="Z-1"))
    confirmed = prepared(world, "disposed")
    with pytest.raises(TransitionNotAllowed, match="needs feedback and follow-up"):
        do(world, "supervisor", confirmed, "archive", ActionRequest(note="x"))
    verifying = prepared(world, "verifying")
    bad = [
        (ActionRequest(finding="maybe"), "finding 'maybe'"),
        (ActionRequest(finding="unfounded", measures=["case_opened"]), "takes no measures"),
        (ActionRequest(finding="confirmed", measures=["funds_recovered"]), "funds_recovered > 0"),
        (ActionRequest(finding="confirmed", funds_recovered=Decimal(5)), "without the measure"),
        (ActionRequest(finding="confirmed", measures=["case_opened"]), "needs case_no"),
        (ActionRequest(finding="confirmed", measures=["bribe"]), "unknown measures"),
        (ActionRequest(), "missing finding"),
    ]
    for req, message in bad:
        with pytest.raises(InvalidInput, match=message):
            do(world, "supervisor", verifying, "dispose", req)
    with pytest.raises(InvalidInput, match="into itself"):
        do(world, "supervisor", verifying, "merge", ActionRequest(target_id=verifying))
    with pytest.raises(PermissionDenied, match="outside your organisation"):
        do(world, "supervisor", prepared(world, "new"), "dispatch",
           ActionRequest(org_id=world.orgs["other"].id))  # fmt: skip
    with pytest.raises(InvalidInput, match="no higher unit"):
        do(world, "supervisor", prepared(world, "verifying", org_id=world.orgs["county"].id),
           "escalate", ActionRequest(reason="x"))  # fmt: skip
    with pytest.raises(InvalidInput, match="cannot see warning"):
        do(world, "supervisor", prepared(world, "verifying", org_id=world.orgs["team"].id,
           division_code="522701002001"), "assign",
           ActionRequest(assignee_id=world.users["verifier"].id))  # fmt: skip
    assert counts(world, verifying) == (0, 0)


def test_dispose_with_case_opened_creates_the_case_record(world: World) -> None:
    wid = prepared(world, "verifying")
    req = ActionRequest(finding="confirmed", measures=["case_opened"], case_no="QN-CASE-1")
    w = do(world, "supervisor", wid, "dispose", req)
    assert w.case_id is not None
    other = prepared(world, "verifying")
    with pytest.raises(InvalidInput, match="already used"):
        do(world, "supervisor", other, "dispose", req)


def test_out_of_scope_warning_is_not_found(world: World) -> None:
    wid = prepared(world, "new")
    with pytest.raises(NotFound):
        do(world, "outsider", wid, "dispatch", ActionRequest(org_id=world.orgs["other"].id))


def test_pause_and_resume_move_the_deadline(world: World) -> None:
    wid = prepared(world, "verifying")
    with tx(world.factory) as s:
        user = s.merge(world.users["supervisor"])
        monday = utcnow().replace(year=2026, month=11, day=23, hour=2)  # Mon 10:00 Beijing
        due_before = act(actor_for(s, user, CONFIG, monday), wid, "pause",
                         ActionRequest(reason="等待外调")).due_at  # fmt: skip
    with tx(world.factory) as s:
        user = s.merge(world.users["supervisor"])
        friday = monday + timedelta(days=4)
        w = act(actor_for(s, user, CONFIG, friday), wid, "resume", ActionRequest())
        # paused Monday → resumed Friday: Tue, Wed, Thu, Fri = 4 working days added
        assert w.due_at is not None and due_before is not None
        assert not w.paused and w.pause_reason is None
        due_days = CONFIG.calendar  # weekends only by default
        assert due_days.holidays == []
    from qingfeng.loop.calendar import Clock

    clock = Clock.from_config(CONFIG)
    assert clock.local_date(w.due_at) == clock.calendar.add_working_days(
        clock.local_date(due_before), 4
    )
    with pytest.raises(TransitionNotAllowed, match="not paused"):
        do(world, "supervisor", wid, "resume", ActionRequest())


def test_stale_version_is_a_conflict(world: World) -> None:
    wid = prepared(world, "new")
    do(
        world,
        "supervisor",
        wid,
        "dispatch",
        ActionRequest(org_id=world.orgs["township"].id, version=1),
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        do(world, "supervisor", wid, "accept", ActionRequest(version=1))
    assert counts(world, wid) == (1, 1)


def test_two_people_at_once_one_wins_nothing_half_written(world: World) -> None:
    wid = prepared(world, "dispatched")
    a = world.factory()
    b = world.factory()
    try:
        a.begin()
        b.begin()
        actor_a = actor_for(a, a.merge(world.users["supervisor"]), CONFIG)
        actor_b = actor_for(b, b.merge(world.users["verifier"]), CONFIG)
        # B has the warning open (version 1) while A accepts it and commits
        seen_by_b = actor_b.session.get_one(Warning, wid)
        act(actor_a, wid, "accept", ActionRequest(version=1))
        a.commit()
        assert seen_by_b.version == 1
        with pytest.raises(Conflict, match="nothing was saved"):
            act(actor_b, wid, "return", ActionRequest(reason="不是我们的"))
        b.rollback()
    finally:
        a.close()
        b.close()
    with tx(world.factory) as s:
        w = s.get_one(Warning, wid)
        assert (w.status, w.version, w.return_reason) == ("verifying", 2, None)
        assert audit.verify(s).ok
    assert counts(world, wid) == (1, 1)


def test_parallel_writers_keep_one_unbroken_chain(world: World) -> None:
    wids = [prepared(world, "verifying") for _ in range(6)]
    errors: list[BaseException] = []

    def work(wid: int) -> None:
        try:
            for i in range(3):
                with tx(world.factory) as s:
                    comment(
                        actor_for(s, s.merge(world.users["supervisor"]), CONFIG), wid, f"第{i}条"
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in wids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tx(world.factory) as s:
        report = audit.verify(s)
        assert report.ok, report
        seqs = list(s.scalars(select(AuditLog.seq).order_by(AuditLog.seq)))
        assert seqs == list(range(1, len(seqs) + 1))
    assert all(counts(world, w) == (3, 3) for w in wids)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(TRANSITIONS)), min_size=1, max_size=10))
def test_random_action_sequences_keep_the_invariants(world: World, actions: list[str]) -> None:
    """Whatever people click, in any order: a refused action changes nothing, an accepted one
    moves the version by one and leaves one event and one audit row; deadlines exist exactly in
    the timed states; the audit chain stays intact."""
    wid = prepared(world, "new")
    accepted = 0
    for action in actions:
        with tx(world.factory) as s:
            before = s.get_one(Warning, wid)
            state, version = before.status, before.version
        try:
            w = do(world, "supervisor", wid, action, request_for(world, action))
        except (TransitionNotAllowed, InvalidInput, PermissionDenied):
            with tx(world.factory) as s:
                after = s.get_one(Warning, wid)
                assert (after.status, after.version) == (state, version)
            continue
        accepted += 1
        assert w.version == version + 1
        assert state in TRANSITIONS[action].sources
        timed = w.status in OPEN_STATES and not (
            w.status == "disposed" and w.finding in ("unfounded", "cannot_verify")
        )
        assert (w.due_at is not None) == timed, (action, w.status)
        if w.status == "merged":
            break
    assert counts(world, wid) == (accepted, accepted)
    with tx(world.factory) as s:
        assert audit.verify(s).ok
