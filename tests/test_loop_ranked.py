"""The ranked list (highest risk first) reads the top of the risk index instead of sorting a
unit's whole scope, and gives exactly the page the plain ORDER BY gives, on SQLite and
PostgreSQL: for a county, a township, deep pages, filters, and a township whose warnings all
rank low (the walk finds too few and the scope is sorted)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qingfeng.loop.config import LoopConfig
from qingfeng.loop.query import (
    SORTS,
    WALK_MIN,
    WarningQuery,
    filtered,
    list_warnings,
    ranked_from_the_top,
    ranked_walk,
)
from qingfeng.loop.service import actor_for
from qingfeng.store.db import refresh_statistics
from qingfeng.store.models import Organisation, User, Warning, utcnow
from qingfeng.store.users import create_org
from store_helpers import BACKENDS, migrated_factory, quick_user, shared_store_url, tx

HIGH = 2 * WALK_MIN  # warnings of the busy townships, ranked high
LOW = 120  # warnings of the quiet township, all ranked below every busy one


def _rows(n: int, codes: list[str], scores: tuple[float, float], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = utcnow()
    out = []
    for i in range(n):
        code = rng.choice(codes)
        out.append(
            {
                "fingerprint": f"{seed:04d}{i:060d}",
                "model_id": f"m{rng.randrange(5)}",
                "model_version": "1",
                "subject_type": "person",
                "subject_id": f"{code[:6]}19700101{i:04d}",
                "period": "2024-05",
                "severity": rng.choice(("red", "orange", "yellow", "blue")),
                "division_code": code,
                "explanation": "x",
                "evidence": {},
                "status": rng.choice(("new", "new", "dispatched", "verifying", "archived")),
                "present": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "paused": False,
                "escalation_level": 0,
                "measures": [],
                # many ties: the id decides between equal scores
                "risk_score": round(rng.uniform(*scores), 0),
            }
        )
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    gen = shared_store_url(request.param, tmp_path_factory.mktemp("ranked"))
    f = migrated_factory(next(gen))
    with tx(f) as s:
        county = create_org(s, "都匀市纪委监委", "county", "522701")
        busy = create_org(s, "广惠街道纪工委", "township", "522701001", county)
        create_org(s, "沙包堡街道纪工委", "township", "522701002", county)
        quiet = create_org(s, "小围寨街道纪工委", "township", "522701009", county)
        other = create_org(s, "福泉市纪委监委", "county", "522702")
        for name, org in (("c", county), ("t", busy), ("q", quiet), ("o", other)):
            quick_user(s, name, "supervisor", org.id)
        busy_codes = ["522701001001", "522701001002", "522701002001", "522702001001"]
        s.execute(insert(Warning), _rows(HIGH, busy_codes, (20, 95), seed=1))
        s.execute(insert(Warning), _rows(LOW, ["522701009001"], (0, 10), seed=2))
        # some of the quiet township's area was dispatched to the county: still in its scope
        s.execute(
            Warning.__table__.update()
            .where(Warning.division_code == "522701009001", Warning.status == "dispatched")
            .values(org_id=county.id)
        )
    refresh_statistics(f.kw["bind"])
    yield f
    f.kw["bind"].dispose()
    next(gen, None)


def _actor(s: Session, username: str):  # type: ignore[no-untyped-def]
    user = s.scalar(select(User).where(User.username == username))
    return actor_for(s, user, LoopConfig())


def _plain(actor: Any, q: WarningQuery) -> list[int]:
    stmt = filtered(actor, q).order_by(*SORTS["-risk"]).limit(q.limit + 1).offset(q.offset)
    return [w.id for w in actor.session.scalars(stmt)]


CASES = [
    ("c", {}),
    ("c", {"offset": 500}),
    ("t", {}),
    ("t", {"offset": 100, "limit": 20}),
    ("t", {"status": ["new"]}),
    ("t", {"severity": ["red"], "status": ["dispatched", "verifying"]}),
    ("o", {}),
    ("q", {}),  # every warning of the quiet township ranks below the walk: the scope is sorted
    ("q", {"offset": 100}),
    ("c", {"queue": "to_dispatch"}),
    ("c", {"model_id": ["m3"], "offset": 300}),
]


@pytest.mark.parametrize(("username", "fields"), CASES)
def test_the_ranked_page_is_the_plain_order_by(factory, username: str, fields: dict) -> None:  # type: ignore[no-untyped-def]
    with tx(factory) as s:
        actor = _actor(s, username)
        q = WarningQuery(sort="-risk", **fields)
        page = list_warnings(actor, q)
        expected = _plain(actor, q)
    assert [w.id for w in page.items] == expected[: q.limit]
    # the busy units' pages come from the top of the index; the quiet township's cannot
    with tx(factory) as s:
        walked = ranked_from_the_top(_actor(s, username), filtered(_actor(s, username), q), q)
    assert (walked is None) == (username == "q")
    assert page.has_more == (len(expected) > q.limit)
    if username != "q" or fields.get("offset"):
        assert page.items, "the case must have rows to compare"


def test_the_quiet_township_sees_its_area_dispatched_elsewhere(factory) -> None:  # type: ignore[no-untyped-def]
    with tx(factory) as s:
        actor = _actor(s, "q")
        ids = [w.id for w in list_warnings(actor, WarningQuery(sort="-risk", limit=500)).items]
        held = set(s.scalars(select(Warning.id).where(Warning.division_code == "522701009001")))
        county = s.scalar(select(Organisation.id).where(Organisation.division_code == "522701"))
        elsewhere = set(
            s.scalars(
                select(Warning.id).where(
                    Warning.division_code == "522701009001", Warning.org_id == county
                )
            )
        )
    assert set(ids) == held and elsewhere


def _sqlite_plan(session: Session, stmt: Any) -> list[str]:
    bind = session.get_bind()
    compiled = stmt.compile(bind, compile_kwargs={"render_postcompile": True})
    args = tuple(compiled.params[k] for k in compiled.positiontup)
    rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), args)
    return [str(r[3]) for r in rows]


@pytest.mark.parametrize("username", ["c", "t"])
def test_sqlite_walks_the_risk_index_for_a_units_ranked_list(factory, username: str) -> None:  # type: ignore[no-untyped-def]
    with tx(factory) as s:
        if s.get_bind().dialect.name != "sqlite":
            pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
        actor = _actor(s, username)
        q = WarningQuery(sort="-risk")
        plan = _sqlite_plan(s, ranked_walk(filtered(actor, q), q))
    # the top of the index read alone (no table rows), then each of those rows by its id …
    assert any("COVERING INDEX ix_warnings_risk_sort" in step for step in plan), plan
    assert any("INTEGER PRIMARY KEY" in step for step in plan), plan
    # … never the scope collected by its indexes, nor a pass over the whole table
    assert not any("MULTI-INDEX OR" in step or "BLOOM FILTER" in step for step in plan), plan
    assert not any(step.startswith("SCAN warnings") and "INDEX" not in step for step in plan)
