"""The Users and organisations page (administrators) and "change my password" (everyone): the
good paths as a person clicks them, and every refusal — wrong role, outside the subtree, no CSRF
token, wrong current password, weak or mismatched passwords, a bad division code."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import select

from qingfeng.operations import admin
from qingfeng.store import users as store_users
from qingfeng.store.models import AuditLog, Organisation, User, utcnow
from qingfeng.store.users import UserError, create_user
from web_helpers import PASSWORD, client_for, csrf_from, make_world, password_hash, sign_in


@pytest.fixture
def world(tmp_path):
    w = make_world(tmp_path)
    # A county administrator: their subtree is 都匀市 and its township, not 福泉市 nor the city.
    with (
        patch.object(store_users, "hash_password", lambda _p: password_hash()),
        w.factory() as s,
        s.begin(),
    ):
        create_user(s, "admin_a", PASSWORD, "administrator", w.orgs["county_a"].id, "县管理员")
    return w


def _user(world, username: str) -> User:  # type: ignore[no-untyped-def]
    with world.factory() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def _audit(world, action: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with world.factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def _org_id(world, key: str) -> int:  # type: ignore[no-untyped-def]
    return int(world.orgs[key].id)


def _post(client, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/users").text)
    return client.post(url, data={"csrf_token": token, **data})


def _change_password(client, current: str, new: str, repeat: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current": current,
            "new": new,
            "repeat": new if repeat is None else repeat,
        },
    )


def test_admin_lists_only_the_users_of_their_subtree(world):
    client = sign_in(client_for(world), "admin_a")
    page = client.get("/users")
    assert page.status_code == 200
    listed = set(re.findall(r'data-username="([^"]+)"', page.text))
    assert listed == {"admin_a", "sup_a", "ver_a"}
    assert "用户与组织" in page.text and 'href="/users"' in page.text
    # The tree shows the county and its township, nothing above or beside it.
    tree = page.text.split('data-testid="org-tree"')[1]
    assert "都匀市纪委监委" in tree and "广惠街道纪工委" in tree
    assert "福泉市纪委监委" not in tree and "黔南州纪委监委" not in tree
    # The province's administrator sees everyone.
    everyone = sign_in(client_for(world), "admin").get("/users").text
    assert 'data-username="sup_b"' in everyone and 'data-username="leader"' in everyone
    english = client.get("/users?lang=en").text
    assert "Users and organisations" in english and "Create user" in english


def test_admin_creates_a_user_who_must_change_the_password_first(world):
    client = sign_in(client_for(world), "admin_a")
    r = _post(
        client,
        "/users",
        {
            "username": "wang",
            "display_name": "王核查",
            "role": "verifier",
            "org_id": _org_id(world, "township"),
            "password": "first-pass-1",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/users"
    listed = client.get("/users").text
    assert "已创建用户 wang" in listed and 'data-username="wang"' in listed
    assert "待修改临时密码" in listed
    wang = _user(world, "wang")
    assert wang.must_change_password and wang.org_id == _org_id(world, "township")
    (row,) = _audit(world, "user.add")
    assert row.actor == "admin_a" and row.object_id == str(wang.id)
    assert row.detail["username"] == "wang" and row.detail["role"] == "verifier"
    dumped = json.dumps(row.detail, ensure_ascii=False)
    assert "first-pass-1" not in dumped and "argon2" not in dumped

    # First sign-in: every page leads to the password form until the password is changed.
    newcomer = client_for(world)
    page = newcomer.get("/login")
    r = newcomer.post(
        "/login",
        data={"username": "wang", "password": "first-pass-1", "csrf_token": csrf_from(page.text)},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/password"
    assert newcomer.get("/warnings").headers["location"] == "/account/password"
    assert newcomer.get("/api/v1/warnings").status_code == 403
    form = newcomer.get("/account/password").text
    assert "临时密码" in form
    done = _change_password(newcomer, "first-pass-1", "my own pass 7")
    assert done.status_code == 200 and 'data-testid="password-changed"' in done.text
    assert newcomer.get("/warnings").status_code == 200
    assert not _user(world, "wang").must_change_password
    assert [a.actor for a in _audit(world, "user.password_change")] == ["wang"]


def test_change_my_password_refusals_and_other_sessions_end(world):
    elsewhere = sign_in(client_for(world), "leader")
    client = sign_in(client_for(world), "leader")
    wrong = _change_password(client, "not my password", "brand new pass")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    mismatch = _change_password(client, PASSWORD, "brand new pass", "brand new pasz")
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    short = _change_password(client, PASSWORD, "short")
    assert short.status_code == 400 and "至少 8 个字符" in short.text
    same = _change_password(client, PASSWORD, PASSWORD)
    assert same.status_code == 400 and "不能与当前密码相同" in same.text
    english = client.get("/account/password?lang=en")
    r = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(english.text),
            "current": "nope nope",
            "new": "brand new pass",
            "repeat": "brand new pass",
        },
    )
    assert "The current password is wrong" in r.text
    client.get("/account/password?lang=zh")
    no_csrf = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "brand new pass", "repeat": "brand new pass"},
    )
    assert no_csrf.status_code == 403
    assert len(_audit(world, "user.password_change_failed")) == 2
    ok = _change_password(client, PASSWORD, "brand new pass")
    assert ok.status_code == 200 and "密码已修改" in ok.text
    assert client.get("/dashboard").status_code == 200  # this session goes on
    assert elsewhere.get("/dashboard").status_code == 303  # the other one ended
    sign_in(client_for(world), "leader", "brand new pass")


def test_wrong_current_password_five_times_locks_and_signs_out(world):
    client = sign_in(client_for(world), "sup_a")
    for _ in range(4):
        assert _change_password(client, "guess guess", "brand new pass").status_code == 400
    r = _change_password(client, "guess guess", "brand new pass")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/warnings").status_code == 303
    locked = _user(world, "sup_a").locked_until
    assert locked is not None and locked > utcnow()


def test_only_administrators_reach_the_page(world):
    supervisor = sign_in(client_for(world), "sup_a")
    assert supervisor.get("/users").status_code == 403
    token = csrf_from(supervisor.get("/warnings").text)
    r = supervisor.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "sneaky",
            "role": "administrator",
            "org_id": _org_id(world, "county_a"),
            "password": "whatever-123",
        },
    )
    assert r.status_code == 403
    sup_b = _user(world, "sup_b").id
    assert supervisor.post(f"/users/{sup_b}/disable", data={"csrf_token": token}).status_code == 403
    assert 'href="/users"' not in supervisor.get("/warnings").text
    with world.factory() as s:
        assert s.scalar(select(User).where(User.username == "sneaky")) is None


def test_no_csrf_token_no_change(world):
    client = sign_in(client_for(world), "admin_a")
    sup_a = _user(world, "sup_a").id
    for url, data in (
        ("/users", {"username": "x1", "role": "leader", "org_id": 1, "password": "long enough"}),
        (f"/users/{sup_a}/disable", {}),
        (f"/users/{sup_a}/unlock", {}),
        (f"/users/{sup_a}/password", {"password": "long enough"}),
        ("/users/orgs", {"parent_id": 1, "name": "x", "kind": "township", "code": "522701009"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    assert _user(world, "sup_a").active
    assert _audit(world, "user.add") == [] and _audit(world, "org.add") == []


def test_outside_the_subtree_is_refused(world):
    client = sign_in(client_for(world), "admin_a")
    r = _post(
        client,
        "/users",
        {
            "username": "fq",
            "role": "supervisor",
            "org_id": _org_id(world, "county_b"),
            "password": "long enough 1",
        },
    )
    assert r.status_code == 400 and "只能在本单位及下级单位中操作" in r.text
    sup_b = _user(world, "sup_b").id
    for action in ("disable", "enable", "unlock"):
        assert _post(client, f"/users/{sup_b}/{action}", {}).status_code == 404
    assert (
        _post(client, f"/users/{sup_b}/password", {"password": "long enough 1"}).status_code == 404
    )
    r = _post(
        client,
        "/users/orgs",
        {
            "parent_id": _org_id(world, "county_b"),
            "name": "x",
            "kind": "township",
            "code": "522702009",
        },
    )
    assert r.status_code == 400 and "只能在本单位及下级单位中操作" in r.text
    assert _user(world, "sup_b").active and _audit(world, "user.add") == []


def test_bad_user_input_is_refused_with_the_form_kept(world):
    client = sign_in(client_for(world), "admin_a")
    base = {"display_name": "新人", "role": "supervisor", "org_id": _org_id(world, "county_a")}
    taken = _post(client, "/users", {**base, "username": "sup_a", "password": "long enough 1"})
    assert taken.status_code == 400 and "用户名 sup_a 已存在" in taken.text
    short = _post(client, "/users", {**base, "username": "zhou", "password": "short"})
    assert short.status_code == 400 and "密码太短" in short.text
    assert 'value="zhou"' in short.text and 'value="新人"' in short.text
    assert "short" not in short.text.split('data-testid="user-create"')[1].split("</form>")[0]
    king = _post(
        client, "/users", {**base, "username": "zhou", "role": "king", "password": "long enough 1"}
    )
    assert king.status_code == 400 and "未知角色" in king.text


def test_admins_may_not_grant_a_role_above_their_own():
    """Only administrators reach the page, and nothing ranks above them there; the shared module
    still refuses any actor a role ranked above their own (the rule the page relies on)."""
    acting = admin.Admin("lead", role="leader", org_ids=frozenset({1}))
    assert not acting.may_grant("administrator") and acting.may_grant("supervisor")
    org = Organisation(id=1, name="x", kind="county", division_code="522701", path="/1/")
    with pytest.raises(UserError) as refused:
        admin.add_user(None, acting, "boss", "long enough 1", "administrator", org)  # type: ignore[arg-type]
    assert refused.value.key == "role_above"


def test_disable_enable_unlock_and_reset(world):
    client = sign_in(client_for(world), "admin_a")
    victim = sign_in(client_for(world), "sup_a")
    sup_a = _user(world, "sup_a").id
    assert _post(client, f"/users/{sup_a}/disable", {}).status_code == 303
    assert "已停用用户 sup_a" in client.get("/users").text
    assert victim.get("/warnings").status_code == 303  # the open session ended
    stranger = client_for(world)
    page = stranger.get("/login")
    refused = stranger.post(
        "/login",
        data={"username": "sup_a", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 401
    assert _post(client, f"/users/{sup_a}/enable", {}).status_code == 303
    sign_in(client_for(world), "sup_a")

    with world.factory() as s, s.begin():
        user = s.get(User, sup_a)
        assert user is not None
        user.locked_until = utcnow() + timedelta(minutes=15)
    assert 'data-testid="unlock"' in client.get("/users").text
    assert _post(client, f"/users/{sup_a}/unlock", {}).status_code == 303
    assert _user(world, "sup_a").locked_until is None
    sign_in(client_for(world), "sup_a")

    short = _post(client, f"/users/{sup_a}/password", {"password": "short"})
    assert short.status_code == 400 and "密码太短" in short.text
    assert (
        _post(client, f"/users/{sup_a}/password", {"password": "temporary 42"}).status_code == 303
    )
    assert _user(world, "sup_a").must_change_password
    fresh = client_for(world)
    page = fresh.get("/login")
    r = fresh.post(
        "/login",
        data={"username": "sup_a", "password": "temporary 42", "csrf_token": csrf_from(page.text)},
    )
    assert r.headers["location"] == "/account/password"
    changes = [(a.actor, a.action) for a in _audit_all(world) if a.action.startswith("user.")]
    assert changes == [
        ("admin_a", "user.disable"),
        ("admin_a", "user.enable"),
        ("admin_a", "user.unlock"),
        ("admin_a", "user.password_reset"),
    ]
    for row in _audit_all(world):
        assert "temporary 42" not in json.dumps(row.detail, ensure_ascii=False)
    # An administrator does not disable or reset themselves here.
    me = _user(world, "admin_a").id
    assert "不能停用自己的账户" in _post(client, f"/users/{me}/disable", {}).text
    assert "修改密码" in _post(client, f"/users/{me}/password", {"password": "long enough 1"}).text


def _audit_all(world) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with world.factory() as s:
        return list(s.scalars(select(AuditLog).order_by(AuditLog.seq)))


def test_add_a_unit_below_with_its_division_code_checked(world):
    client = sign_in(client_for(world), "admin_a")
    county = _org_id(world, "county_a")
    bad = [
        ({"kind": "township", "code": "52270100"}, "区划代码“52270100”无效"),
        ({"kind": "township", "code": "022701001"}, "无效"),
        ({"kind": "township", "code": "522702001"}, "不在上级单位的区划 522701 之内"),
        ({"kind": "city", "code": "5227"}, "不能设在"),
        ({"kind": "team", "code": "522701003"}, "无效"),
    ]
    for data, message in bad:
        r = _post(client, "/users/orgs", {"parent_id": county, "name": "新单位", **data})
        assert r.status_code == 400 and message in r.text, (data, r.text[:200])
    assert _audit(world, "org.add") == []
    r = _post(
        client,
        "/users/orgs",
        {"parent_id": county, "name": "沙包堡街道纪工委", "kind": "township", "code": "522701002"},
    )
    assert r.status_code == 303
    page = client.get("/users").text
    assert "已添加单位 沙包堡街道纪工委" in page and "522701002" in page
    (row,) = _audit(world, "org.add")
    assert row.actor == "admin_a" and row.detail["code"] == "522701002"
    assert row.detail["parent_id"] == county
    team = _post(
        client, "/users/orgs", {"parent_id": county, "name": "派驻组", "kind": "team", "code": ""}
    )
    assert team.status_code == 303
    # The new township is in the admin's subtree at once: a user can be created there.
    with world.factory() as s:
        new_id = s.scalar(select(Organisation.id).where(Organisation.division_code == "522701002"))
    r = _post(
        client,
        "/users",
        {"username": "sbp", "role": "supervisor", "org_id": new_id, "password": "long enough 1"},
    )
    assert r.status_code == 303


def test_admin_sets_and_clears_a_users_email_validated_and_audited(world):
    client = sign_in(client_for(world), "admin_a")
    ver_a = _user(world, "ver_a").id
    r = _post(client, f"/users/{ver_a}/email", {"email": "  ver@jw.example.gov.cn "})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已更新 ver_a 的电子邮箱" in page and "ver@jw.example.gov.cn" in page
    assert _user(world, "ver_a").email == "ver@jw.example.gov.cn"
    (row,) = _audit(world, "user.email")
    assert row.actor == "admin_a"
    assert row.detail == {"username": "ver_a", "email": "ver@jw.example.gov.cn", "previous": None}
    # malformed addresses: refused with the reason, nothing changed, nothing audited
    for bad in ("ver at jw", "ver@jw", "a@b.c\r\nBcc: x@y.z", "<ver@jw.cn>", "a@b.cn,c@d.cn"):
        r = _post(client, f"/users/{ver_a}/email", {"email": bad})
        assert r.status_code == 400 and "电子邮件地址无效" in r.text, bad
    assert _post(client, f"/users/{ver_a}/email", {"email": "x" * 321}).status_code == 422
    assert _user(world, "ver_a").email == "ver@jw.example.gov.cn"
    assert len(_audit(world, "user.email")) == 1
    # blank clears it: reminders stay in the app
    assert _post(client, f"/users/{ver_a}/email", {"email": ""}).status_code == 303
    assert _user(world, "ver_a").email is None
    assert _audit(world, "user.email")[-1].detail["previous"] == "ver@jw.example.gov.cn"
    # another county's user: not found; without the CSRF token: refused
    sup_b = _user(world, "sup_b").id
    assert _post(client, f"/users/{sup_b}/email", {"email": "b@jw.cn"}).status_code == 404
    assert client.post(f"/users/{ver_a}/email", data={"email": "c@jw.cn"}).status_code == 403
    assert _user(world, "sup_b").email is None and _user(world, "ver_a").email is None


def test_everyone_sets_their_own_email_on_the_account_page(world):
    client = sign_in(client_for(world), "ver_a")
    page = client.get("/account/password")
    assert 'data-testid="email-form"' in page.text
    token = csrf_from(page.text)
    r = client.post("/account/email", data={"csrf_token": token, "email": "me@jw.example.gov.cn"})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "电子邮箱已保存" in page and 'value="me@jw.example.gov.cn"' in page
    assert _user(world, "ver_a").email == "me@jw.example.gov.cn"
    (row,) = _audit(world, "user.email")
    assert row.actor == "ver_a" and row.detail["username"] == "ver_a"
    bad = client.post("/account/email", data={"csrf_token": token, "email": "me at jw"})
    assert bad.status_code == 400 and "电子邮件地址无效" in bad.text
    assert 'value="me at jw"' in bad.text  # the form keeps what was typed
    assert client.post("/account/email", data={"email": "x@jw.cn"}).status_code == 403
    assert _user(world, "ver_a").email == "me@jw.example.gov.cn"
    english = client.get("/account/password?lang=en").text
    assert "My e-mail address" in english
