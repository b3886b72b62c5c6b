"""Queues, the review step, the supervised unit, and the risk score — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from qingfeng.loop.config import LoopConfig, ModelLoopConfig
from qingfeng.loop.errors import InvalidInput, NotFound, PermissionDenied
from qingfeng.loop.machine import ActionRequest
from qingfeng.loop.query import WarningQuery, list_warnings
from qingfeng.loop.queues import queue_counts
from qingfeng.loop.risk import describe, recompute_risk
from qingfeng.loop.service import act, actor_for, bulk_dispatch, timeline
from qingfeng.store.models import Warning, utcnow
from qingfeng.store.users import create_org
from store_helpers import make_warning, migrated_factory, quick_user, tx

CONFIG = LoopConfig()


@pytest.fixture
def world(store_url):  # type: ignore[no-untyped-def]
    factory = migrated_factory(store_url)
    with tx(factory) as s:
        county = create_org(s, "都匀市纪委监委", "county", "522701")
        town = create_org(s, "广惠街道纪工委", "township", "522701001", county)
        unit = create_org(s, "广惠街道办事处", "department", None, county)
        other = create_org(s, "福泉市纪委监委", "county", "522702")
        ids = {
            "sup": quick_user(s, "sup", "supervisor", county.id).id,
            "ver": quick_user(s, "ver", "verifier", town.id).id,
            "unit": quick_user(s, "unit", "supervised_unit", unit.id).id,
            "out": quick_user(s, "out", "supervisor", other.id).id,
        }
        orgs = {"county": county.id, "town": town.id, "unit": unit.id, "other": other.id}
    yield factory, ids, orgs
    factory.kw["bind"].dispose()


def _as(s, ids, who, config=CONFIG):  # type: ignore[no-untyped-def]
    from qingfeng.store.models import User

    return actor_for(s, s.get_one(User, ids[who]), config)


def test_each_role_sees_its_own_queue(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids, orgs = world
    with tx(factory) as s:
        new = [make_warning(s).id for _ in range(3)]
        to_town = make_warning(s, status="dispatched", org_id=orgs["town"],
                               due_at=utcnow() + timedelta(days=9)).id  # fmt: skip
        to_unit = make_warning(s, status="dispatched", org_id=orgs["unit"],
                               due_at=utcnow() - timedelta(hours=1)).id  # fmt: skip
        submitted = make_warning(s, status="submitted", org_id=orgs["town"]).id
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        counts = queue_counts(sup)
        assert counts["to_dispatch"] == (3, False) and counts["to_review"] == (1, False)
        assert counts["overdue"] == (1, False)
        page = list_warnings(sup, WarningQuery(queue="to_dispatch"))
        assert sorted(w.id for w in page.items) == sorted(new)
        ver = _as(s, ids, "ver")
        # the verifier sees only what was dispatched to the township, not the new ones
        seen = {w.id for w in list_warnings(ver, WarningQuery()).items}
        assert seen == {to_town, submitted}
        assert [w.id for w in list_warnings(ver, WarningQuery(queue="to_accept")).items] == [
            to_town
        ]
        assert queue_counts(ver) == {
            "to_accept": (1, False),
            "verifying": (0, False),
            "due_soon": (0, False),
            "overdue": (0, False),
        }
        unit = _as(s, ids, "unit")
        assert {w.id for w in list_warnings(unit, WarningQuery()).items} == {to_unit}
        assert queue_counts(unit)["overdue"] == (1, False)
        with pytest.raises(NotFound):
            act(unit, new[0], "accept", ActionRequest())


def test_unknown_queue_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown queue 'mine'"):
        WarningQuery(queue="mine")


def test_supervised_unit_answers_and_the_supervisor_decides(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids, orgs = world
    with tx(factory) as s:
        wid = make_warning(s).id
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        req = ActionRequest(org_id=orgs["unit"], days=10, instructions="请核实并说明")
        w = act(sup, wid, "dispatch", req)
        assert w.requested_due_at is not None
    with tx(factory) as s:
        unit = _as(s, ids, "unit")
        w = act(unit, wid, "accept", ActionRequest())
        assert w.status == "verifying" and w.due_at == w.requested_due_at
        with pytest.raises(PermissionDenied):  # the unit decides nothing itself
            act(unit, wid, "dispose", ActionRequest(finding="unfounded"))
        with pytest.raises(InvalidInput, match="note"):
            act(unit, wid, "submit", ActionRequest())
        act(unit, wid, "submit", ActionRequest(note="该户已于3月停发", report="追回并加强比对"))
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        w = act(sup, wid, "send_back", ActionRequest(reason="请补充银行流水"))
        assert w.status == "verifying" and w.submission is None
    with tx(factory) as s:
        unit = _as(s, ids, "unit")
        w = act(unit, wid, "submit", ActionRequest(note="补充银行流水", finding="confirmed"))
        assert w.status == "submitted" and w.submission["finding"] == "confirmed"
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        w = act(sup, wid, "approve",
                ActionRequest(finding="confirmed", measures=["rectification_ordered"]))  # fmt: skip
        assert w.status == "disposed" and w.finding == "confirmed"
        events = timeline(sup, wid)
        assert [e.action for e in events] == [
            "dispatch", "accept", "submit", "send_back", "submit", "approve"
        ]  # fmt: skip
        assert events[0].payload["instructions"] == "请核实并说明"
        assert events[2].payload["plan"] == "追回并加强比对"
        assert events[3].payload["reason"] == "请补充银行流水"


def test_bulk_dispatch_sets_the_deadline_and_instructions(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids, orgs = world
    with tx(factory) as s:
        wids = [make_warning(s).id for _ in range(5)]
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        result = bulk_dispatch(sup, wids, orgs["town"], instructions="限期核查", days=7)
        assert result.dispatched == 5
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        expected = sup.clock.due(sup.now, 7)
        rows = s.scalars(select(Warning).where(Warning.id.in_(wids))).all()
        assert {w.requested_due_at for w in rows} == {expected}
        assert all(e.payload["instructions"] == "限期核查" for e in timeline(sup, wids[0]))
        with pytest.raises(InvalidInput, match="days"):
            bulk_dispatch(sup, [make_warning(s).id], orgs["town"], days=0)


def test_bulk_dispatch_writes_what_the_single_action_writes(world) -> None:  # type: ignore[no-untyped-def]
    """Set-based, but each lead gets the state, deadline, timeline entry and audit row the
    single dispatch gives it (the bulk flag aside)."""
    from qingfeng import audit
    from qingfeng.store.models import AuditLog, WarningEvent

    factory, ids, orgs = world
    with tx(factory) as s:
        one, many = make_warning(s, severity="orange").id, make_warning(s, severity="orange").id
        returned = make_warning(s, severity="red", status="returned").id
    terms = {"days": 7, "instructions": "限期核查，附银行流水"}
    with tx(factory) as s:
        sup = _as(s, ids, "sup")
        act(sup, one, "dispatch", ActionRequest(org_id=orgs["town"], **terms))
        bulk_dispatch(sup, [many, returned], orgs["town"], **terms)
    with tx(factory) as s:
        rows = {
            w.id: w for w in s.scalars(select(Warning).where(Warning.id.in_([one, many, returned])))
        }
        for field in ("status", "org_id", "due_at", "requested_due_at", "dispatched_at", "version"):
            assert getattr(rows[one], field) == getattr(rows[many], field), field
        assert rows[returned].due_at < rows[many].due_at  # red signs for it sooner
        events = {
            e.warning_id: e
            for e in s.scalars(select(WarningEvent).where(WarningEvent.action == "dispatch"))
        }
        single, bulk = events[one].payload, events[many].payload
        assert bulk.pop("bulk") is True and bulk == single
        assert events[returned].from_state == "returned" and events[many].from_state == "new"
        details = {
            int(a.object_id): a.detail
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "warning.dispatch"))
        }
        assert details[many].pop("bulk") is True and details[many] == details[one]
        assert details[returned]["from"] == "returned"
        assert audit.verify(s).ok


def test_a_recorded_finding_rescores_the_model_in_one_update(world) -> None:  # type: ignore[no-untyped-def]
    """Recording a finding moves only the precision part of the model's live warnings: the one
    UPDATE gives exactly what the full recompute gives, so a full run afterwards changes
    nothing."""
    from sqlalchemy import event

    from qingfeng.loop.risk import rescore_precision

    factory, ids, orgs = world
    with tx(factory) as s:
        first = make_warning(s, severity="red", amount="5000.00")
        make_warning(s, severity="red", subject_id=first.subject_id, fingerprint="e" * 64)
        others = [make_warning(s, severity=sev).id for sev in ("orange", "yellow", "blue")]
        other_model = make_warning(s, model_id="other_model", subject_id=first.subject_id).id
        target = make_warning(s, status="verifying", org_id=orgs["county"]).id
        recompute_risk(s, CONFIG)
    with tx(factory) as s:
        before = {w.id: w.risk_score for w in s.scalars(select(Warning))}
        statements: list[str] = []
        bind = s.get_bind()

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(bind, "before_cursor_execute", count)
        try:
            act(_as(s, ids, "sup"), target, "dispose", ActionRequest(finding="confirmed",
                measures=["rectification_ordered"]))  # fmt: skip
        finally:
            event.remove(bind, "before_cursor_execute", count)
        after = {w.id: (w.risk_score, w.risk_parts) for w in s.scalars(select(Warning))}
        # the model's score went up with its first confirmed finding; the other model's stayed
        assert all(after[i][0] > before[i] for i in others)
        assert after[other_model][0] == before[other_model]
        assert after[others[0]][1]["verified"] == 1 and after[others[0]][1]["p"] > 0.5
        # statistics in temporary tables only for the warning's own subject; the model's
        # other warnings get one UPDATE
        creates = [
            st
            for st in statements
            if st.lstrip().startswith("CREATE TEMPORARY TABLE risk_tmp_pair")
        ]
        assert len(creates) == 1, creates
        assert recompute_risk(s, CONFIG) == 0, "the full recompute agrees with the one UPDATE"
        assert rescore_precision(s, CONFIG, "dead_still_paid") == 0  # nothing moved since
        shown = after[others[0]][1]
        assert round(sum(shown[k] for k in ("precision", "severity", "amount", "repeat",
                     "cross_model", "open")), 1) == after[others[0]][0]  # fmt: skip


def test_risk_score_parts_add_up_and_follow_outcomes(world) -> None:  # type: ignore[no-untyped-def]
    factory, ids, orgs = world
    config = LoopConfig(models={"good_model": ModelLoopConfig(expected_precision=0.9)})
    with tx(factory) as s:
        lone = make_warning(s, severity="blue", amount="10.00").id
        # one subject hit twice by one model and once by another, one large amount
        first = make_warning(s, severity="red", amount="1000000.00")
        again = make_warning(s, severity="red", subject_id=first.subject_id,
                             fingerprint="f" * 64).id  # fmt: skip
        other = make_warning(s, model_id="good_model", severity="orange",
                             subject_id=first.subject_id, amount=None).id  # fmt: skip
        first_id = first.id
        changed = recompute_risk(s, config)
        assert changed == 4
        assert recompute_risk(s, config) == 0  # nothing moved: nothing rewritten
    with tx(factory) as s:
        w = s.get_one(Warning, first_id)
        parts = w.risk_parts
        assert parts["severity"] == 25.0 and parts["amount"] == 15.0
        assert parts["repeat_n"] == 1 and parts["cross_n"] == 1 and parts["open_n"] == 2
        assert parts["precision"] == 17.5  # no outcomes: the prior 0.5 × 35
        shown = describe(parts)
        assert round(sum(points for _, points, _, _ in shown), 1) == w.risk_score
        assert s.get_one(Warning, other).risk_parts["precision"] == pytest.approx(31.5)
        low = s.get_one(Warning, lone)
        assert low.risk_score < w.risk_score
        ranked = list_warnings(_as(s, ids, "sup"), WarningQuery(sort="-risk")).items
        assert [x.id for x in ranked][:1] == [first_id] and ranked[-1].id == lone
    # an outcome recorded through the loop moves the model's precision at once
    with tx(factory) as s:
        sup = _as(s, ids, "sup", config)
        act(sup, again, "dispatch", ActionRequest(org_id=orgs["town"]))
        act(sup, again, "accept", ActionRequest())
        act(sup, again, "dispose", ActionRequest(finding="unfounded"))
    with tx(factory) as s:
        p = s.get_one(Warning, first_id).risk_parts
        assert p["verified"] == 1 and p["precision"] == pytest.approx(35 * 2 / 5, abs=0.05)
        assert s.get_one(Warning, lone).risk_parts["precision"] == pytest.approx(14.0)


def test_risk_ignores_closed_warnings_and_merged_duplicates(world) -> None:  # type: ignore[no-untyped-def]
    factory, _ids, _orgs = world
    with tx(factory) as s:
        live = make_warning(s, amount="0.00")
        make_warning(s, subject_id=live.subject_id, fingerprint="a" * 64, status="archived",
                     finding="confirmed")  # fmt: skip
        make_warning(s, subject_id=live.subject_id, fingerprint="b" * 64, status="merged")
        recompute_risk(s, CONFIG)
        parts = s.get_one(Warning, live.id).risk_parts
        assert parts["open_n"] == 0 and parts["repeat_n"] == 1 and parts["amount"] == 0
        assert parts["verified"] == 1  # the archived one's outcome counts for the model
        assert Decimal(str(parts["p"])) == Decimal("0.6")
