"""`qingfeng users ...`, `qingfeng serve --help` and the demo users."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.demo_users import seed_demo_users
from qingfeng.store.models import AuditLog, User
from web_helpers import client_for, make_world, sign_in

runner = CliRunner()


def test_users_add_then_sign_in(tmp_path):
    world = make_world(tmp_path)
    ws = str(world.settings.workspace)
    result = runner.invoke(
        app,
        [
            "users",
            "add",
            "zhang",
            "--role",
            "supervisor",
            "--org",
            "522702",
            "--name",
            "张监督",
            "--password-stdin",
            "-w",
            ws,
        ],
        input="s3cret-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "福泉市纪委监委" in result.output
    client = sign_in(client_for(world), "zhang", "s3cret-pass-1")
    assert "共 2 条预警" in client.get("/warnings").text
    with world.factory() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "user.add")) is not None
    listed = runner.invoke(app, ["users", "list", "-w", ws])
    assert "zhang" in listed.output and "supervisor" in listed.output


def test_users_add_refuses_bad_input_clearly(tmp_path):
    ws = str(make_world(tmp_path).settings.workspace)
    cases = [
        (["--role", "king", "--org", "522701"], "unknown role"),
        (["--role", "leader", "--org", "999999"], "999999"),
    ]
    for args, message in cases:
        r = runner.invoke(
            app, ["users", "add", "li", *args, "--password-stdin", "-w", ws], input="good-pass-1\n"
        )
        assert r.exit_code == 1 and message in r.output, r.output
    short = runner.invoke(
        app,
        ["users", "add", "li", "--role", "leader", "--org", "522701", "--password-stdin", "-w", ws],
        input="short\n",
    )
    assert short.exit_code == 1 and "too short" in short.output
    dup = runner.invoke(
        app,
        [
            "users",
            "add",
            "sup_a",
            "--role",
            "leader",
            "--org",
            "522701",
            "--password-stdin",
            "-w",
            ws,
        ],
        input="good-pass-1\n",
    )
    assert dup.exit_code == 1 and "already exists" in dup.output


def test_users_unlock(tmp_path):
    world = make_world(tmp_path)
    client = client_for(world)
    from web_helpers import csrf_from

    token = csrf_from(client.get("/login").text)
    for _ in range(5):
        client.post(
            "/login", data={"username": "sup_a", "password": "bad-pass-1", "csrf_token": token}
        )
    r = runner.invoke(app, ["users", "unlock", "sup_a", "-w", str(world.settings.workspace)])
    assert r.exit_code == 0, r.output
    sign_in(client_for(world), "sup_a")


def test_serve_help_names_host_and_port():
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--host" in r.output and "--port" in r.output


def test_seed_demo_users_signs_in_every_role_and_is_idempotent(tmp_path):
    from qingfeng.workspace import init_workspace

    settings = init_workspace(tmp_path / "demo", county_division_code="522701")
    accounts = seed_demo_users(settings)
    roles = {role for _u, _p, role in accounts}
    assert roles == {
        "administrator",
        "model_builder",
        "supervisor",
        "verifier",
        "leader",
        "data_officer",
        "auditor",
        "supervised_unit",
    }
    unit = next(a for a in accounts if a[2] == "supervised_unit")
    assert unit[0] == "beijiandu"
    again = seed_demo_users(settings)
    assert [a[0] for a in again] == [a[0] for a in accounts]
    from fastapi.testclient import TestClient

    from qingfeng.web.app import create_app

    client = TestClient(create_app(settings), follow_redirects=False)
    username, password, _role = next(a for a in accounts if a[2] == "supervisor")
    sign_in(client, username, password)
    assert client.get("/warnings").status_code == 200
    from qingfeng.store.db import make_engine, session_factory

    with session_factory(make_engine(settings.database_url))() as s:
        assert s.scalar(select(User).where(User.username == username)) is not None


def test_users_disable_enable_and_reset_password(tmp_path):
    world = make_world(tmp_path)
    ws = str(world.settings.workspace)
    r = runner.invoke(app, ["users", "disable", "sup_a", "-w", ws])
    assert r.exit_code == 0 and "已停用" in r.output, r.output
    listed = runner.invoke(app, ["users", "list", "-w", ws])
    assert "停用 disabled" in listed.output
    r = runner.invoke(app, ["users", "enable", "sup_a", "-w", ws])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["users", "reset-password", "sup_a", "--password-stdin", "-w", ws],
        input="temporary-1\n",
    )
    assert r.exit_code == 0, r.output
    assert "待改密码" in runner.invoke(app, ["users", "list", "-w", ws]).output
    client = client_for(world)
    from web_helpers import csrf_from

    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "sup_a", "password": "temporary-1", "csrf_token": csrf_from(page.text)},
    )
    assert r.headers["location"] == "/account/password"
    short = runner.invoke(
        app, ["users", "reset-password", "sup_a", "--password-stdin", "-w", ws], input="x\n"
    )
    assert short.exit_code == 1 and "too short" in short.output
    missing = runner.invoke(app, ["users", "disable", "nobody", "-w", ws])
    assert missing.exit_code == 1 and "nobody" in missing.output
    with world.factory() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.actor == "cli"))]
    assert actions == ["user.disable", "user.enable", "user.password_reset"]


def test_users_add_temporary_must_change_at_first_sign_in(tmp_path):
    world = make_world(tmp_path)
    ws = str(world.settings.workspace)
    r = runner.invoke(
        app,
        [
            *("users", "add", "qin", "--role", "leader", "--org", "5227", "--temporary"),
            *("--password-stdin", "-w", ws),
        ],
        input="first-pass-1\n",
    )
    assert r.exit_code == 0, r.output
    with world.factory() as s:
        assert s.scalar(select(User.must_change_password).where(User.username == "qin")) is True
