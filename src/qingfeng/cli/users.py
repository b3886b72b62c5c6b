"""`qingfeng users ...`: add, list and unlock the people who sign in to the back office."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

ROLE_HELP = (
    "administrator | model_builder | supervisor | verifier | leader | data_officer | auditor"
)


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="用户管理 / users of the back office.", no_args_is_help=True)
    app.add_typer(users, name="users")

    @users.command("add")
    def add(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
        org: Annotated[
            str, typer.Option("--org", help="Organisation: division code, id or exact name.")
        ],
        name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Add a user; the password is asked twice (never given on the command line)."""
        from qingfeng import audit
        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.store.users import UserError
        from qingfeng.web.accounts import add_user

        settings = settings_for(workspace)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as s, s.begin():
                user = add_user(s, username, password, role, org, name)
                org_name = user.org.name if user.org else ""
                audit.append(
                    s, "cli", "user.add", "user", user.id, {"username": username, "role": role}
                )
        except UserError as exc:
            raise fail(str(exc)) from None
        finally:
            engine.dispose()
        console.print(f"已添加用户 / user added: [bold]{username}[/] ({role}, {org_name})")

    @users.command("list")
    def list_(workspace: WorkspaceOption = None) -> None:
        """List users with their role, organisation and lock state."""
        from sqlalchemy import select

        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.store.models import Organisation, User

        settings = settings_for(workspace)
        engine = make_engine(settings.database_url)
        table = Table(
            "用户名 username", "姓名 name", "角色 role", "组织 organisation", "状态 state"
        )
        try:
            with session_factory(engine)() as s:
                rows = s.execute(
                    select(User, Organisation.name)
                    .outerjoin(Organisation, Organisation.id == User.org_id)
                    .order_by(User.username)
                )
                for user, org_name in rows:
                    state = "停用 disabled" if not user.active else ""
                    if user.locked_until is not None:
                        state = f"锁定至 locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
                    table.add_row(
                        user.username, user.display_name, user.role, org_name or "", state
                    )
        finally:
            engine.dispose()
        console.print(table)

    @users.command("unlock")
    def unlock(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Lift a lock-out after too many failed sign-ins."""
        from sqlalchemy import select

        from qingfeng import audit
        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.store.models import User

        settings = settings_for(workspace)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as s, s.begin():
                user = s.scalar(select(User).where(User.username == username))
                if user is None:
                    raise fail(f"没有该用户 / no user {username!r}")
                user.locked_until = None
                user.failed_logins = 0
                audit.append(s, "cli", "user.unlock", "user", user.id, {"username": username})
        finally:
            engine.dispose()
        console.print(f"已解锁 / unlocked: {username}")
