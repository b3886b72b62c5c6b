"""`qingfeng users ...`: add, list, unlock, disable/enable and reset the passwords of the people
who sign in to the back office. The work is qingfeng.operations.admin's, shared with the Users
page."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

if TYPE_CHECKING:
    from qingfeng.store.models import User

ROLE_HELP = (
    "administrator | model_builder | supervisor | verifier | leader | data_officer | auditor | "
    "supervised_unit"
)
T = TypeVar("T")


@contextmanager
def _transaction(workspace: object) -> Iterator[Session]:
    """One committed transaction on the workspace's store; a UserError becomes a clear exit."""
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.store.users import UserError

    settings = settings_for(workspace)  # type: ignore[arg-type]
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            yield s
    except UserError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True))


def _on_user(workspace: object, username: str, change: Callable[[Session, User], T]) -> T:
    from qingfeng.operations import admin

    with _transaction(workspace) as s:
        user = admin.get_user(s, admin.Admin.cli(), username)
        return change(s, user)


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
        temporary: Annotated[
            bool,
            typer.Option(
                "--temporary", help="The user must change this password at first sign-in."
            ),
        ] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Add a user; the password is asked twice (never given on the command line)."""
        from qingfeng.operations import admin

        password = _read_password(password_stdin)
        with _transaction(workspace) as s:
            cli = admin.Admin.cli()
            unit = admin.get_org(s, cli, org)
            admin.add_user(
                s, cli, username, password, role, unit, name, must_change_password=temporary
            )
            org_name = unit.name
        console.print(f"已添加用户 / user added: [bold]{username}[/] ({role}, {org_name})")

    @users.command("list")
    def list_(workspace: WorkspaceOption = None) -> None:
        """List users with their role, organisation and lock state."""
        from qingfeng.operations import admin

        table = Table(
            "用户名 username", "姓名 name", "角色 role", "组织 organisation", "状态 state"
        )
        with _transaction(workspace) as s:
            for user in admin.users_in_scope(s, admin.Admin.cli()):
                state = "停用 disabled" if not user.active else ""
                if user.locked_until is not None:
                    state = f"锁定至 locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
                if user.must_change_password and not state:
                    state = "待改密码 must change password"
                org_name = user.org.name if user.org else ""
                table.add_row(user.username, user.display_name, user.role, org_name, state)
        console.print(table)

    @users.command("unlock")
    def unlock(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Lift a lock-out after too many failed sign-ins."""
        from qingfeng.operations import admin

        _on_user(workspace, username, lambda s, u: admin.unlock(s, admin.Admin.cli(), u))
        console.print(f"已解锁 / unlocked: {username}")

    @users.command("disable")
    def disable(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Disable an account: sign-in is refused and open sessions end."""
        from qingfeng.operations import admin

        _on_user(workspace, username, lambda s, u: admin.set_active(s, admin.Admin.cli(), u, False))
        console.print(f"已停用 / disabled: {username}")

    @users.command("enable")
    def enable(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Enable a disabled account again."""
        from qingfeng.operations import admin

        _on_user(workspace, username, lambda s, u: admin.set_active(s, admin.Admin.cli(), u, True))
        console.print(f"已启用 / enabled: {username}")

    @users.command("reset-password")
    def reset_password(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
        temporary: Annotated[
            bool,
            typer.Option(
                "--temporary/--permanent",
                help="Whether the user must change it at the next sign-in.",
            ),
        ] = True,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Set a new password (temporary by default); open sessions end, a lock is lifted."""
        from qingfeng.operations import admin

        password = _read_password(password_stdin)
        _on_user(
            workspace,
            username,
            lambda s, u: admin.reset_password(
                s, admin.Admin.cli(), u, password, must_change=temporary
            ),
        )
        console.print(f"已重置密码 / password reset: {username}")

    @users.command("email")
    def email(
        username: Annotated[str, typer.Argument(help="Sign-in name.")],
        address: Annotated[str, typer.Argument(help='E-mail address; empty "" clears it.')],
        workspace: WorkspaceOption = None,
    ) -> None:
        """Set where the user's reminders are e-mailed (without one: in the app only)."""
        from qingfeng.operations import admin

        _on_user(
            workspace, username, lambda s, u: admin.set_email(s, admin.Admin.cli(), u, address)
        )
        shown = address.strip() or "—"
        console.print(f"已设置电子邮件 / e-mail set: {username} → {shown}")
