"""Routing and leads: every warning gets an area and a responsible unit, and is visible to the
county administrator and to exactly the units its route names; a model's hits on one subject make
one lead with its evidence lines. Store tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import func, select, text

from qingfeng.engine import DuckDBEngine
from qingfeng.engine.compiler import check_and_build, compile_model
from qingfeng.engine.routing import routed_sql
from qingfeng.engine.runner import run_compiled
from qingfeng.engine.spec import ModelSpec
from qingfeng.hits import Hit, fingerprint
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import ActionRequest
from qingfeng.loop.service import act, actor_for, lines, merge_related, related
from qingfeng.store.db import alembic_config, make_engine, session_factory, upgrade_store
from qingfeng.store.models import ModelRun, Organisation, User, Warning, WarningLine
from qingfeng.store.routing import reroute
from qingfeng.store.scope import can_see_warning
from qingfeng.store.warnings_sync import sync_model_run
from store_helpers import migrated_factory, org_tree, quick_user, tx

COUNTY = "522701"


def _hit(subject: str, period: str, division: str | None, amount: str = "50.00", **kw) -> Hit:
    return Hit(
        model_id=kw.pop("model_id", "paid_after_death"),
        model_version="1.0",
        subject_type=kw.pop("subject_type", "person"),
        subject_id=subject,
        period=period,
        severity=kw.pop("severity", "orange"),
        explanation=f"{subject}于{period}领取{amount}元",
        subject_name="张三",
        amount=Decimal(amount),
        division_code=division,
        evidence={"period": period, "amount": amount},
    )


def _sync(factory, hits: list[Hit], model_id: str = "paid_after_death", county=COUNTY):  # type: ignore[no-untyped-def]
    with tx(factory) as session:
        run = ModelRun(
            run_group="g", model_id=model_id, model_version="1.0", engine="duckdb",
            rows_read=1, hits=0, new_warnings=0, still_present=0, no_longer_present=0,
            duration_ms=0,
        )  # fmt: skip
        session.add(run)
        session.flush()
        return run.id, sync_model_run(session, run, hits, county=county)


def _seers(session, warning_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    """Names of the units whose users may see the warning."""
    seen = set()
    for org in session.scalars(select(Organisation)):
        user = session.scalar(select(User).where(User.username == f"u{org.id}"))
        if user is None:
            user = quick_user(session, f"u{org.id}", "supervisor", org.id)
        if can_see_warning(session, user, warning_id) is not None:
            seen.add(org.name)
    return seen


def _route_names(session, warning: Warning) -> set[str]:  # type: ignore[no-untyped-def]
    """The responsible unit and every unit above it: the units the route names."""
    unit = session.get(Organisation, warning.org_id)
    ids = [int(i) for i in unit.path.strip("/").split("/")]
    return set(session.scalars(select(Organisation.name).where(Organisation.id.in_(ids))))


# --- routing at sync ------------------------------------------------------------------------


def test_every_warning_gets_an_area_and_the_deepest_unit(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        pass
    _sync(
        factory,
        [
            _hit("A", "2024-01", "522701001003"),  # a village of the township with a unit
            _hit("B", "2024-01", "522701002001"),  # a township without a unit of its own
            _hit("C", "2024-01", None),  # the route found nothing: the county
            _hit("D", "2024-01", "110101001001"),  # outside every unit: the county unit
        ],
    )
    with tx(factory) as s:
        got = {w.subject_id: (w.division_code, w.org_id) for w in s.scalars(select(Warning))}
        assert got == {
            "A": ("522701001003", orgs["township"].id),
            "B": ("522701002001", orgs["county_a"].id),
            "C": (COUNTY, orgs["county_a"].id),
            "D": ("110101001001", orgs["county_a"].id),
        }
        for w in s.scalars(select(Warning)):
            seers = _seers(s, w.id)
            assert seers == _route_names(s, w), w.subject_id
            assert orgs["county_a"].name in seers  # the county administrator's unit
            assert orgs["county_b"].name not in seers and orgs["team"].name not in seers


def test_without_a_county_setting_the_single_county_unit_is_the_fallback(store_url) -> None:
    factory = migrated_factory(store_url)
    with tx(factory) as s:
        from qingfeng.store.users import create_org

        county = create_org(s, "都匀市纪委监委", "county", COUNTY)
        county_id = county.id
    _sync(factory, [_hit("A", "2024-01", None)], county=None)
    with tx(factory) as s:
        w = s.scalars(select(Warning)).one()
        assert (w.division_code, w.org_id) == (COUNTY, county_id)


def test_dispatched_warning_keeps_its_unit_on_rerun(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        pass
    _sync(factory, [_hit("A", "2024-01", "522701002001")])
    with tx(factory) as s:
        admin = quick_user(s, "admin", "administrator", orgs["county_a"].id)
        actor = actor_for(s, admin, LoopConfig())
        wid = s.scalars(select(Warning.id)).one()
        act(actor, wid, "dispatch", ActionRequest(org_id=orgs["team"].id))
    # the person moved into the township with a unit: the lead is with the team, and stays there
    _sync(factory, [_hit("A", "2024-01", "522701001001")])
    with tx(factory) as s:
        w = s.get(Warning, wid)
        assert (w.division_code, w.org_id, w.status) == (
            "522701001001",
            orgs["team"].id,
            "dispatched",
        )


def test_reroute_assigns_units_after_the_tree_changes(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _sync(factory, [_hit("A", "2024-01", "522701001003"), _hit("B", "2024-01", None)])
    with tx(factory) as s:  # no units yet: an area, but no unit
        assert s.scalar(select(func.count()).where(Warning.org_id.is_(None))) == 2
    with org_tree(factory) as orgs:
        pass
    with tx(factory) as s:
        assert reroute(s, COUNTY) == 2
    with tx(factory) as s:
        got = {w.subject_id: w.org_id for w in s.scalars(select(Warning))}
        assert got == {"A": orgs["township"].id, "B": orgs["county_a"].id}


# --- leads ----------------------------------------------------------------------------------


def test_six_months_of_one_person_are_one_lead_with_six_lines(store_url: str) -> None:
    factory = migrated_factory(store_url)
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    _, diff = _sync(
        factory,
        [_hit("P", m, "522701001003", severity="red" if m == "2024-03" else "orange")
         for m in months]
        + [_hit("Q", "2024-02", "522701001003")],
    )  # fmt: skip
    assert len(diff.new) == 2 and diff.new_lines == 7
    with tx(factory) as s:
        lead = s.scalar(select(Warning).where(Warning.subject_id == "P"))
        assert lead.amount == Decimal("300.00")
        assert lead.severity == "red"  # the worst line's
        assert lead.period == "2024-06"  # the latest line's
        assert lead.fingerprint == fingerprint("paid_after_death", "person", "P", "2024-01")
        assert "共 6 条明细" in lead.explanation
        got = s.scalars(select(WarningLine.period).where(WarningLine.warning_id == lead.id))
        assert sorted(got) == months
        run = s.scalars(select(ModelRun)).one()
        assert (run.hits, run.new_warnings) == (7, 2)

    # a re-run finds a seventh month and no longer the first: one more line on the same lead
    again = [
        _hit("P", m, "522701001003", severity="red" if m == "2024-03" else "orange")
        for m in [*months[1:], "2024-07"]
    ]
    _, diff = _sync(factory, again)
    assert diff.new == [] and diff.new_lines == 1
    with tx(factory) as s:
        lead = s.scalar(select(Warning).where(Warning.subject_id == "P"))
        assert s.scalar(select(func.count()).where(Warning.subject_id == "P")) == 1
        assert lead.amount == Decimal("350.00") and lead.present
        assert lead.severity == "red"  # the March line stays on the lead
        present = dict(
            s.execute(
                select(WarningLine.period, WarningLine.present).where(
                    WarningLine.warning_id == lead.id
                )
            ).all()
        )
        assert present["2024-01"] is False and present["2024-07"] is True and len(present) == 7
        q = s.scalar(select(Warning).where(Warning.subject_id == "Q"))
        assert q.present is False


def test_new_lines_after_archive_start_a_new_lead(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        pass
    _sync(factory, [_hit("P", "2024-01", "522701001003"), _hit("P", "2024-02", "522701001003")])
    with tx(factory) as s:
        first = s.scalars(select(Warning)).one()
        first.status, first.finding = "archived", "unfounded"
        first_id = first.id
    _sync(
        factory,
        [_hit("P", p, "522701001003", amount="80.00") for p in ("2024-01", "2024-02", "2024-03")],
    )
    with tx(factory) as s:
        leads = {w.id: w for w in s.scalars(select(Warning).order_by(Warning.id))}
        assert len(leads) == 2
        old, new = leads[first_id], next(w for i, w in leads.items() if i != first_id)
        assert old.status == "archived" and old.amount == Decimal("160.00")  # refreshed lines
        assert new.status == "new" and new.amount == Decimal("80.00")
        assert new.org_id == orgs["township"].id
        # a lead of one line is that line: no row in warning_lines until a second line joins
        assert new.period == "2024-03"
        assert new.fingerprint == fingerprint("paid_after_death", "person", "P", "2024-03")
        rows = s.scalars(select(WarningLine).where(WarningLine.warning_id == new.id)).all()
        assert rows == []


def test_related_leads_are_handled_as_one_case(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        pass
    _sync(factory, [_hit("P", "2024-01", "522701001003"), _hit("P", "2024-02", "522701001003")])
    _sync(factory, [_hit("P", "2024", "522701001003", model_id="second_model")], "second_model")
    _sync(factory, [_hit("P", "2024", "522701001003", model_id="third_model")], "third_model")
    with tx(factory) as s:
        sup = quick_user(s, "sup", "supervisor", orgs["county_a"].id)
        actor = actor_for(s, sup, LoopConfig())
        ids = dict(s.execute(select(Warning.model_id, Warning.id)).all())
        target = ids["paid_after_death"]
        assert [w.id for w in related(actor, target)] == sorted(
            [ids["second_model"], ids["third_model"]], reverse=True
        )
        assert len(lines(actor, target)) == 2
        assert sorted(merge_related(actor, target)) == sorted(
            [ids["second_model"], ids["third_model"]]
        )
    with tx(factory) as s:
        for model in ("second_model", "third_model"):
            w = s.get(Warning, ids[model])
            assert (w.status, w.merged_into_id) == ("merged", target)
        sup = s.scalar(select(User).where(User.username == "sup"))
        from qingfeng.loop.errors import InvalidInput

        with pytest.raises(InvalidInput, match="没有可合并"):
            merge_related(actor_for(s, sup, LoopConfig()), target)


# --- the engine's route lookups -------------------------------------------------------------


def _spec(route: object, **over: object) -> ModelSpec:
    data = {
        "id": "big_tender",
        "version": "1.0",
        "name": {"zh": "大额招标"},
        "field": "工程招投标",
        "description": "预算大于阈值的项目",
        "legal_basis": [{"document": "《招标投标法》"}],
        "inputs": ["tenders"],
        "logic": {"sql": "SELECT tender_no, project_name, buyer_uscc, budget FROM tenders"},
        "subject": {"type": "tender", "id": "tender_no", "name": "project_name"},
        "period": "'2024'",
        "severity": [{"level": "yellow"}],
        "amount": "budget",
        "explanation": "{project_name}",
        "route": route,
    }
    data.update(over)
    return ModelSpec.model_validate(data)


def _engine(libraries: bool = True) -> DuckDBEngine:
    engine = DuckDBEngine()
    con = engine.con
    con.execute(
        "CREATE TABLE tenders AS SELECT * FROM (VALUES "
        "('T1', '道路', '11522701MB0000001X', 100.0), "
        "('T2', '校舍', '91522702MA0000002Y', 200.0), "
        "('T3', '桥梁', NULL, 300.0)) AS t(tender_no, project_name, buyer_uscc, budget)"
    )
    if libraries:
        con.execute(
            "CREATE TABLE organisations AS SELECT * FROM (VALUES "
            "('11522701MB0000001X', '522701'), ('91522702MA0000002Y', '522702')) "
            "AS t(uscc, registration_division)"
        )
        con.execute(
            "CREATE TABLE people AS SELECT * FROM (VALUES "
            "('522701199001010011', '522701001003')) AS t(id_no, division_code)"
        )
    return engine


def test_tender_routes_to_its_buyers_division() -> None:
    engine = _engine()
    _, hits, _ = run_compiled(engine, compile_model(_spec({"subject": "tender"})))
    assert {h.subject_id: h.division_code for h in hits} == {
        "T1": "522701",
        "T2": "522702",
        "T3": None,  # no buyer: the county, when synced
    }
    # the same through a column, and steps tried in order
    spec = _spec([{"org_uscc": "buyer_uscc"}, {"division": "'522701999'"}])
    _, hits, _ = run_compiled(engine, compile_model(spec))
    assert {h.subject_id: h.division_code for h in hits}["T3"] == "522701999"


def test_lookup_without_its_library_is_left_out() -> None:
    engine = _engine(libraries=False)
    compiled = compile_model(_spec({"subject": "tender"}))
    assert "organisations" not in routed_sql(compiled, "duckdb", engine.has_table)
    _, hits, _ = run_compiled(engine, compiled)
    assert {h.division_code for h in hits} == {None}


def test_route_lookups_never_multiply_hits() -> None:
    """An official on two payrolls is still one hit: the employer lookup has one row per key."""
    engine = _engine()
    engine.con.execute(
        "CREATE TABLE rel_employment AS SELECT * FROM (VALUES "
        "('522701199001010011', '11522701MB0000001X'), "
        "('522701199001010011', '91522702MA0000002Y')) AS t(from_id, to_id)"
    )
    spec = _spec(
        [{"subject": "official"}],
        logic={"sql": "SELECT '522701199001010011' AS id_no, '王五' AS name, 1.0 AS budget"},
        subject={"type": "person", "id": "id_no", "name": "name"},
        explanation="{name}",
    )
    _, hits, _ = run_compiled(engine, compile_model(spec))
    assert [(h.subject_id, h.division_code) for h in hits] == [("522701199001010011", "522702")]


def test_route_renders_for_spark() -> None:
    sql = routed_sql(compile_model(_spec({"subject": "tender"})), "spark", lambda _t: True)
    assert "LEFT JOIN" in sql and "organisations" in sql


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"subject": "tender", "org_uscc": "buyer_uscc"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"subject": "village"}, "subject"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_route_steps_are_refused(route: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _spec(route)


def test_route_column_must_be_a_logic_column() -> None:
    compiled, problems = check_and_build(_spec({"org_uscc": "winner_uscc"}))
    assert compiled is None
    assert any(p.loc == ("route", 0) and "winner_uscc" in p.message for p in problems)


# --- the migration ---------------------------------------------------------------------------


def test_migration_routes_existing_warnings_and_makes_them_leads(store_url: str) -> None:
    cfg = alembic_config(store_url)
    command.upgrade(cfg, "0400_password_change")
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisations (id, name, kind, division_code, parent_id, path, "
                    "created_at) VALUES (1, '都匀市纪委监委', 'county', '522701', NULL, '/1/', "
                    ":now), (2, '广惠街道纪工委', 'township', '522701001', 1, '/1/2/', :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
            for i, (division, status) in enumerate(
                [(None, "new"), ("522701001003", "new"), ("110101001001", "returned"),
                 ("522701001003", "archived")], start=1
            ):  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO warnings (id, fingerprint, model_id, model_version, "
                        "subject_type, subject_id, period, severity, amount, division_code, "
                        "explanation, evidence, status, present, created_at, updated_at, "
                        "version, paused, escalation_level, measures) VALUES (:id, :fp, 'm', "
                        "'1', 'tender', :sid, '2024', 'red', 10, :division, 'x', '{}', :status, "
                        ":present, :now, :now, 1, :false, 0, '[]')"
                    ),
                    {
                        "id": i, "fp": f"{i:064d}", "sid": f"T{i}", "division": division,
                        "status": status, "now": "2026-01-01 00:00:00", "present": True,
                        "false": False,
                    },
                )  # fmt: skip
    finally:
        engine.dispose()
    upgrade_store(store_url)
    factory = session_factory(make_engine(store_url))
    with tx(factory) as s:
        got = {w.id: (w.division_code, w.org_id) for w in s.scalars(select(Warning))}
        assert got == {
            1: ("522701", 1),
            2: ("522701001003", 2),
            3: ("110101001001", 1),
            4: ("522701001003", None),  # archived: the loop decided where it was, not routing
        }
        assert s.scalar(select(func.count()).select_from(WarningLine)) == 0  # one line each
    # a re-run joins the open lead of the subject: its own line and the new one are written out
    hit = Hit("m", "1", "tender", "T2", "2025", "red", "x", None, Decimal(10), "522701001003")
    _sync(factory, [hit], model_id="m")
    with tx(factory) as s:
        assert s.scalar(select(func.count()).select_from(Warning)) == 4
        rows = s.scalars(select(WarningLine).where(WarningLine.warning_id == 2)).all()
        assert sorted((x.period, x.present) for x in rows) == [("2024", False), ("2025", True)]
        assert {x.fingerprint for x in rows} == {f"{2:064d}", hit.fingerprint}
        lead = s.get(Warning, 2)
        assert (lead.period, lead.amount, lead.present) == ("2025", Decimal(20), True)


# --- the API --------------------------------------------------------------------------------


def test_api_lists_lines_and_merges_related_leads(tmp_path, store_url: str) -> None:
    from web_helpers import PASSWORD, client_for, make_world, sign_in

    world = make_world(tmp_path, None if store_url.startswith("sqlite") else store_url)
    factory = session_factory(make_engine(world.settings.database_url))
    person = "522701195001000001"
    _sync(factory, [_hit(person, p, "522701001003") for p in ("2024-01", "2024-02")])
    _sync(factory, [_hit(person, "2024", "522701001003", model_id="other")], "other")
    with tx(factory) as s:
        ids = dict(s.execute(select(Warning.model_id, Warning.id).where(
            Warning.model_id.in_(["paid_after_death", "other"]))).all())  # fmt: skip
    lead = ids["paid_after_death"]
    page = sign_in(client_for(world), "sup_a").get(f"/warnings/{lead}")
    assert "线索明细（2 条）" in page.text and "作为一案合并办理" in page.text
    api = client_for(world)
    auth = ("sup_a", PASSWORD)
    r = api.get(f"/api/v1/warnings/{lead}/lines", auth=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["period"] for x in body] == ["2024-02", "2024-01"]
    assert [(x["amount"], x["present"]) for x in body] == [("50.00", True)] * 2
    r = api.post(f"/api/v1/warnings/{lead}/merge-related", auth=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"merged": [ids["other"]]}
    r = api.post(f"/api/v1/warnings/{lead}/merge-related", auth=auth)
    assert r.status_code == 422 and "no related lead" in r.text
    # out of scope: the other county's supervisor cannot merge, nor learn that it exists
    r = api.post(f"/api/v1/warnings/{lead}/merge-related", auth=("sup_b", PASSWORD))
    assert r.status_code == 404
