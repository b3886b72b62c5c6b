"""qingfeng.operations.admin on both stores: the subtree and role-rank rules the back office relies
on, the CLI's unlimited reach, and audit rows that never hold a password."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from qingfeng.operations import admin
from qingfeng.store.models import AuditLog, User
from qingfeng.store.users import UserError, authenticate
from store_helpers import migrated_factory, org_tree, tx


def test_subtree_rank_and_audit(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs:
        ids = {k: o.id for k, o in orgs.items()}
        county = admin.Admin(
            "admin_a",
            org_ids=frozenset({ids["county_a"], ids["township"], ids["team"]}),
            user_id=None,
        )
        with tx(factory) as s:
            town = admin.get_org(s, county, ids["township"])
            user = admin.add_user(
                s, county, "zhou", "first-pass-1", "verifier", town, must_change_password=True
            )
            assert user.must_change_password
            with pytest.raises(UserError) as outside:
                admin.get_org(s, county, ids["county_b"])
            assert outside.value.key == "not_found"
        with tx(factory) as s:
            zhou = admin.get_user(s, county, "zhou")
            admin.reset_password(s, county, zhou, "second-pass-2")
            admin.set_active(s, county, zhou, False)
            assert authenticate(s, "zhou", "second-pass-2") is None  # disabled
            admin.set_active(s, county, zhou, True)
            admin.change_own_password(s, zhou, "second-pass-2", "own pass 33", "own pass 33")
            assert not zhou.must_change_password and zhou.password_changed_at is not None
        with tx(factory) as s:
            assert authenticate(s, "zhou", "own pass 33") is not None
            # A leader (were one to administer) may not grant an administrator.
            lead = admin.Admin("lead", role="leader", org_ids=frozenset({ids["county_a"]}))
            county_a = admin.get_org(s, lead, ids["county_a"])
            with pytest.raises(UserError, match="above your own"):
                admin.add_user(s, lead, "boss", "long enough 1", "administrator", county_a)
            # The CLI reaches the whole tree, and a user outside a county admin's reads as absent.
            cli = admin.Admin.cli()
            far = admin.add_user(s, cli, "far", "long enough 1", "leader", orgs["county_b"])
            with pytest.raises(UserError) as absent:
                admin.get_user(s, county, far.id)
            assert absent.value.key == "not_found"
            names = {u.username for u in admin.users_in_scope(s, county)}
            assert names == {"zhou"}
            assert {o.id for o in admin.orgs_in_scope(s, county)} == set(county.org_ids or ())
        with tx(factory) as s:
            rows = list(s.scalars(select(AuditLog).order_by(AuditLog.seq)))
            assert [(r.actor, r.action) for r in rows] == [
                ("admin_a", "user.add"),
                ("admin_a", "user.password_reset"),
                ("admin_a", "user.disable"),
                ("admin_a", "user.enable"),
                ("zhou", "user.password_change"),
                ("cli", "user.add"),
            ]
            hashes = [h for h in s.scalars(select(User.password_hash))]
            secrets = ["first-pass-1", "second-pass-2", "own pass 33", "long enough 1", *hashes]
            for row in rows:
                text = json.dumps(row.detail, ensure_ascii=False)
                assert not any(secret in text for secret in secrets), text


def test_organisation_codes_follow_the_division_rule(store_url: str) -> None:
    factory = migrated_factory(store_url)
    with org_tree(factory) as orgs, tx(factory) as s:
        cli = admin.Admin.cli()
        county = s.merge(orgs["county_a"])
        for kind, code, key in (
            ("township", "5227010011", "org_code"),  # 10 digits
            ("township", "52270100", "org_code"),  # 8 digits
            ("county", "022701", "org_code"),  # starts with 0
            ("township", "52270100x", "org_code"),
            ("township", None, "org_code"),
            ("team", "522701", "org_code"),  # a team has no area
            ("township", "522702001", "org_outside_parent"),
        ):
            with pytest.raises(UserError) as refused:
                admin.add_org(s, cli, "x", kind, code, county)
            assert refused.value.key == key, (kind, code)
        town = admin.add_org(s, cli, "沙包堡街道纪工委", "township", "522701002", county)
        assert town.path.startswith(county.path)
        team = admin.add_org(s, cli, "派驻组", "team", None, county)
        assert team.division_code is None
