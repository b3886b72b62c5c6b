"""Lists, sorts, due-soon/overdue, outcomes, the digest and bulk dispatch: same answers on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from qingfeng import audit
from qingfeng.holidays import national_holidays
from qingfeng.loop.config import CalendarConfig, LoopConfig
from qingfeng.loop.digest import build_digest
from qingfeng.loop.errors import Conflict, InvalidInput, NotFound
from qingfeng.loop.outcomes import model_outcomes
from qingfeng.loop.query import SORTS, WarningQuery, list_warnings
from qingfeng.loop.service import actor_for, bulk_dispatch
from qingfeng.store.models import Organisation, User, Warning, WarningEvent, utcnow
from qingfeng.store.scope import division_prefix
from qingfeng.store.users import create_org
from store_helpers import BACKENDS, make_warning, migrated_factory, quick_user, shared_store_url, tx

CONFIG = LoopConfig(low_precision_min_verified=3)
_models = count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    gen = shared_store_url(request.param, tmp_path_factory.mktemp("queries"))
    f = migrated_factory(next(gen))
    with tx(f) as s:
        county = create_org(s, "都匀市纪委监委", "county", "522701")
        create_org(s, "广惠街道纪工委", "township", "522701001", county)
        create_org(s, "沙包堡街道纪工委", "township", "522701002", county)
        quick_user(s, "sup", "supervisor", county.id)
    yield f
    f.kw["bind"].dispose()
    next(gen, None)


def actor(s, now=None):  # type: ignore[no-untyped-def]
    user = s.scalar(select(User).where(User.username == "sup"))
    return actor_for(s, user, CONFIG, now)


def test_division_prefix_is_an_exact_range(factory) -> None:  # type: ignore[no-untyped-def]
    model = f"p{next(_models)}"
    codes = ["522701001001", "522701999999", "522702000000", "52270", "5227019", None]
    with tx(factory) as s:
        for code in codes:
            make_warning(s, code, model_id=model)
    with tx(factory) as s:
        got = set(
            s.scalars(
                select(Warning.division_code).where(
                    Warning.model_id == model, division_prefix(Warning.division_code, "522701")
                )
            )
        )
        nines = s.scalar(
            select(func.count()).where(
                Warning.model_id == model, division_prefix(Warning.division_code, "99")
            )
        )
    assert got == {"522701001001", "522701999999", "5227019"}
    assert nines == 0


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_sorts_agree_on_both_stores(factory, sort: str) -> None:  # type: ignore[no-untyped-def]
    """NULL deadlines and amounts land in the same place on SQLite and PostgreSQL."""
    model = f"s{next(_models)}"
    now = utcnow()
    with tx(factory) as s:
        ids = {
            "early": make_warning(
                s, model_id=model, amount="10", due_at=now + timedelta(days=1)
            ).id,
            "late": make_warning(
                s, model_id=model, amount="900", due_at=now + timedelta(days=9)
            ).id,
            "none": make_warning(s, model_id=model, amount=None).id,
        }
    with tx(factory) as s:
        if sort == "-risk":  # scored as after a run: the larger amount ranks higher
            from qingfeng.loop.risk import recompute_risk

            recompute_risk(
                s, CONFIG, subject_ids=[s.get_one(Warning, i).subject_id for i in ids.values()]
            )
        page = list_warnings(actor(s), WarningQuery(model_id=[model], sort=sort))
    order = [next(k for k, v in ids.items() if v == w.id) for w in page.items]
    expected = {
        "due_at": ["early", "late", "none"],  # no deadline last
        "-due_at": ["none", "late", "early"],
        "-amount": ["late", "early", "none"],  # no amount below the smallest
        "amount": ["none", "early", "late"],
        "id": ["early", "late", "none"],
        "-id": ["none", "late", "early"],
        "created_at": ["early", "late", "none"],
        "-created_at": ["none", "late", "early"],
        "-risk": ["late", "early", "none"],
    }[sort]
    assert order == expected


def test_due_soon_and_overdue_on_working_days(factory) -> None:  # type: ignore[no-untyped-def]
    model = f"d{next(_models)}"
    clock_now = utcnow().replace(year=2026, month=11, day=27, hour=2)  # Friday 10:00 Beijing
    with tx(factory) as s:
        a = actor(s, clock_now)
        end = a.clock.end_of_day
        cal = a.clock.calendar
        today = a.clock.local_date(clock_now)
        due = {
            "overdue": end(today - timedelta(days=1)),
            "paused_overdue": end(today - timedelta(days=1)),
            "today": end(today),
            "monday": end(cal.add_working_days(today, 1)),  # 1 working day away
            "tuesday": end(cal.add_working_days(today, 2)),  # the edge of "soon" (2 days)
            "wednesday": end(cal.add_working_days(today, 3)),
        }
        ids = {}
        for name, when in due.items():
            ids[name] = make_warning(
                s, model_id=model, status="verifying", due_at=when,
                paused=name.startswith("paused"),
            ).id  # fmt: skip
        ids["closed"] = make_warning(s, model_id=model, status="archived", due_at=None).id
    with tx(factory) as s:
        a = actor(s, clock_now)
        overdue = list_warnings(a, WarningQuery(model_id=[model], due="overdue"))
        soon = list_warnings(a, WarningQuery(model_id=[model], due="soon", sort="due_at"))
        digest = build_digest(s, s.get_one(Organisation, 1), CONFIG, clock_now)
    assert {w.id for w in overdue.items} == {ids["overdue"]}
    assert [w.id for w in soon.items] == [ids["today"], ids["monday"], ids["tuesday"]]
    assert digest.overdue_total >= 1 and ids["overdue"] in {i.id for i in digest.overdue}
    assert digest.paused >= 1
    text = digest.to_markdown()
    assert str(ids["overdue"]) in text and "王" not in text


def test_digest_names_a_year_without_holidays(factory) -> None:  # type: ignore[no-untyped-def]
    """In December deadlines reach into next January; a year nobody entered is called out."""
    december = utcnow().replace(year=2026, month=12, day=7, hour=2)
    beyond = max(national_holidays()).year + 1
    with tx(factory) as s:
        org = s.get_one(Organisation, 1)
        plain = build_digest(s, org, CONFIG, december.replace(year=beyond - 1))
        entered = LoopConfig(calendar=CalendarConfig(holidays=[date(beyond, 1, 1)]))
        completed = build_digest(s, org, entered, december.replace(year=beyond - 1))
        none = LoopConfig(calendar=CalendarConfig(national=False))
        bare = build_digest(s, org, none, december.replace(year=beyond - 1))
    assert plain.unknown_holiday_years == [beyond]
    assert f"没有 {beyond} 年的法定节假日" in plain.to_markdown()
    assert completed.unknown_holiday_years == []
    assert bare.unknown_holiday_years == [beyond - 1, beyond]


def test_outcomes_precision_and_flag(factory) -> None:  # type: ignore[no-untyped-def]
    good, bad = f"g{next(_models)}", f"b{next(_models)}"
    with tx(factory) as s:
        for finding, funds in (
            ("confirmed", "100"),
            ("partly_confirmed", "50.5"),
            ("unfounded", None),
        ):
            make_warning(s, model_id=good, status="disposed", finding=finding,
                         funds_recovered=Decimal(funds) if funds else None)  # fmt: skip
        for finding in ("unfounded", "unfounded", "unfounded", "confirmed", "cannot_verify"):
            make_warning(s, model_id=bad, status="archived", finding=finding)
        make_warning(s, model_id=bad, status="new")
    with tx(factory) as s:
        rows = {o.model_id: o for o in model_outcomes(actor(s))}
    g, b = rows[good], rows[bad]
    assert (g.verified, g.confirmed, g.funds_recovered) == (3, 2, Decimal("150.50"))
    assert g.precision == pytest.approx(2 / 3) and not g.flagged
    assert (b.warnings, b.verified, b.confirmed) == (6, 4, 1)  # cannot_verify is not verified
    assert b.precision == 0.25 and b.flagged and "review" in b.review_note


def test_bulk_dispatch_all_or_nothing(factory) -> None:  # type: ignore[no-untyped-def]
    model = f"k{next(_models)}"
    with tx(factory) as s:
        ids = [make_warning(s, f"52270100{i % 2 + 1}001", model_id=model).id for i in range(40)]
        done = make_warning(s, model_id=model, status="archived").id
        outside = make_warning(s, "522799001001", model_id=model).id
    with pytest.raises(InvalidInput, match="archived"), tx(factory) as s:
        bulk_dispatch(actor(s), [*ids, done])
    with pytest.raises(NotFound, match=str(outside)), tx(factory) as s:
        bulk_dispatch(actor(s), [*ids, outside])
    with tx(factory) as s:
        assert (
            s.scalar(select(func.count()).where(Warning.id.in_(ids), Warning.status != "new")) == 0
        )
    with tx(factory) as s:
        result = bulk_dispatch(actor(s), ids)
    assert result.dispatched == 40 and sorted(result.by_org.values()) == [20, 20]
    with tx(factory) as s:
        assert s.scalar(select(func.count()).where(WarningEvent.warning_id.in_(ids))) == 40
        rows = s.execute(select(Warning.status, Warning.version, Warning.due_at)
                         .where(Warning.id.in_(ids))).all()  # fmt: skip
        assert {(r.status, r.version) for r in rows} == {("dispatched", 2)}
        assert all(r.due_at is not None for r in rows)
        assert audit.verify(s).ok


def test_bulk_dispatch_conflict_writes_nothing(factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = f"c{next(_models)}"
    with tx(factory) as s:
        ids = [make_warning(s, model_id=model).id for _ in range(5)]
    s = factory()
    try:
        s.begin()
        a = actor(s)
        # the bulk read sees version 1; another user updates one warning before the write
        from qingfeng.loop import service

        original = service.route_by_division

        def interfere(session, root):  # type: ignore[no-untyped-def]
            with tx(factory) as other:
                other.get_one(Warning, ids[2]).subject_name = "改"
            return original(session, root)

        monkeypatch.setattr(service, "route_by_division", interfere)
        with pytest.raises(Conflict, match="nothing was dispatched"):
            bulk_dispatch(a, ids)
        s.rollback()
    finally:
        s.close()
    with tx(factory) as s:
        assert set(s.scalars(select(Warning.status).where(Warning.id.in_(ids)))) == {"new"}
        assert s.scalar(select(func.count()).where(WarningEvent.warning_id.in_(ids))) == 0


def test_refresh_statistics_gives_the_planner_numbers(factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from qingfeng.store.db import refresh_statistics

    with tx(factory) as s:
        for _ in range(20):
            make_warning(s, model_id="stats")
    engine = factory.kw["bind"]
    refresh_statistics(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'warnings'"
        else:
            sql = (
                "SELECT count(*) FROM pg_stats "
                "WHERE tablename = 'warnings' AND schemaname = current_schema()"
            )
        assert conn.execute(text(sql)).scalar_one() > 0
