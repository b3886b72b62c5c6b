"""The closed-loop schema: migrations match the ORM, users, organisations and scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Base, User, Warning, utcnow
from qingfeng.store.scope import can_see_warning, scoped_warnings
from qingfeng.store.users import (
    MAX_FAILED_LOGINS,
    UserError,
    authenticate,
    create_org,
    create_user,
    hash_password,
    verify_password,
)
from store_helpers import add_user, make_warning, migrated_factory, org_tree, tx


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_the_models(store_url: str) -> None:
    # The portal's tables share the metadata: load them whatever ran before in this process.
    import qingfeng.portal.models  # noqa: F401

    migrated_factory(store_url)
    with make_engine(store_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        # autogenerate cannot compare indexes on expressions: check those by name
        if conn.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'warnings'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'warnings'"
        names = set(conn.execute(text(sql)).scalars())
    assert diff == []
    expected = {i.name for i in Base.metadata.tables["warnings"].indexes}
    assert expected <= names


def test_create_user_hashes_with_argon2(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs, tx(factory) as s:
        user = create_user(s, "li.supervisor", "correct horse", "supervisor", orgs["county_a"].id)
    assert user.password_hash.startswith("$argon2")
    assert verify_password(user.password_hash, "correct horse")
    assert not verify_password(user.password_hash, "wrong horse")
    with tx(factory) as s, pytest.raises(UserError, match="already exists"):
        create_user(s, "li.supervisor", "another password", "verifier", None)
    with tx(factory) as s, pytest.raises(UserError, match="unknown role"):
        create_user(s, "x", "long enough pw", "king", None)


def test_failures_do_not_lock_but_a_lock_holds(store_url: str) -> None:
    factory = migrated_factory(store_url)
    add_user(factory, "zhao", "verifier", None)
    for _ in range(MAX_FAILED_LOGINS + 1):
        with tx(factory) as s:
            assert authenticate(s, "zhao", "nope nope") is None
    with tx(factory) as s:  # failed sign-ins are throttled elsewhere, never a lock
        user = authenticate(s, "zhao", "correct horse")
        assert user is not None and user.locked_until is None
        user.locked_until = utcnow() + timedelta(minutes=15)
    with tx(factory) as s:  # a lock set by "change my password" refuses the right password
        assert authenticate(s, "zhao", "correct horse") is None
    later = utcnow() + timedelta(hours=1)
    with tx(factory) as s:
        assert authenticate(s, "zhao", "correct horse", now=later) is not None


def test_org_tree_rejects_inconsistent_units(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs, tx(factory) as s:
        county_a = s.merge(orgs["county_a"])
        with pytest.raises(UserError, match="outside its parent"):
            create_org(s, "x", "township", "522702001", county_a)
        with pytest.raises(UserError, match="cannot sit below"):
            create_org(s, "y", "city", "5227", county_a)
        with pytest.raises(UserError, match="needs a parent"):
            create_org(s, "z", "team", None)


def test_scope_follows_the_organisation_subtree(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        users = {
            name: add_user(factory, name, "supervisor", orgs[name])
            for name in ("province", "county_a", "county_b", "township", "team")
        }
        with tx(factory) as s:
            in_town = make_warning(s, "522701001002").id
            in_a = make_warning(s, "522701100200").id
            in_b = make_warning(s, "522702003004").id
            # a warning dispatched to the team, located in county B's area
            to_team = make_warning(s, "522702009009", org_id=orgs["team"].id).id
            nowhere = make_warning(s, None).id

        def visible(user: User) -> set[int]:
            with tx(factory) as s:
                return set(s.scalars(scoped_warnings(s, user).with_only_columns(Warning.id)))

        assert visible(users["province"]) == {in_town, in_a, in_b, to_team}
        assert visible(users["county_a"]) == {in_town, in_a, to_team}
        assert visible(users["county_b"]) == {in_b, to_team}
        assert visible(users["township"]) == {in_town}
        assert visible(users["team"]) == {to_team}
        assert nowhere not in visible(users["province"])
        with tx(factory) as s:  # typing another county's id finds nothing
            assert can_see_warning(s, users["county_b"], in_a) is None
            assert can_see_warning(s, users["county_a"], in_a) is not None


def test_user_without_organisation_sees_nothing(store_url: str) -> None:
    factory = migrated_factory(store_url)
    loner = add_user(factory, "loner", "supervisor", None)
    with tx(factory) as s:
        make_warning(s)
    with tx(factory) as s:
        assert s.scalars(scoped_warnings(s, loner)).all() == []


def test_timestamps_come_back_timezone_aware(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with tx(factory) as s:
        wid = make_warning(s).id
    with tx(factory) as s:
        created = s.get_one(Warning, wid).created_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)


def test_password_change_migration_keeps_existing_users(store_url: str) -> None:
    """0400_password_change on a store that already has users: they keep signing in with their
    password (nothing to change), the new columns work, and the downgrade removes them."""
    from alembic import command

    from qingfeng.store.db import alembic_config

    cfg = alembic_config(store_url)
    command.upgrade(cfg, "0300_complaint_links")
    engine = make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, active,"
                " failed_logins, created_at) VALUES ('old', 'old', :h, 'leader', :t, 0, :now)"
            ),
            {"h": hash_password("an old password"), "t": True, "now": utcnow()},
        )
    command.upgrade(cfg, "head")
    factory = session_factory(engine)
    with tx(factory) as s:
        old = s.scalar(select(User).where(User.username == "old"))
        assert old is not None
        assert old.must_change_password is False and old.password_changed_at is None
        assert authenticate(s, "old", "an old password") is not None
        old.must_change_password = True
        old.password_changed_at = utcnow()
    with engine.connect() as conn:
        flag = conn.execute(text("SELECT must_change_password FROM users")).scalar_one()
    assert bool(flag) is True
    command.downgrade(cfg, "0300_complaint_links")
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
    assert "must_change_password" not in columns and "password_changed_at" not in columns
    assert {"username", "password_hash", "active"} <= columns
    command.upgrade(cfg, "head")
    engine.dispose()
