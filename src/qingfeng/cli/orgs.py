"""`qingfeng orgs ...`: the organisation tree (province → city → county → township, teams)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.tree import Tree

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    orgs = typer.Typer(help="组织机构 / organisation units.", no_args_is_help=True)
    app.add_typer(orgs, name="orgs")

    @orgs.command("add")
    def add(
        name: Annotated[str, typer.Argument(help="Name of the unit, e.g. 都匀市纪委监委.")],
        kind: Annotated[
            str,
            typer.Option(
                "--kind", help="province|city|county|township|team|department (被监督单位)"
            ),
        ],
        code: Annotated[
            str, typer.Option("--code", help="Division-code prefix of its area (none for a team).")
        ] = "",
        parent: Annotated[
            str, typer.Option("--parent", help="Parent unit: division code, id or exact name.")
        ] = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        """Add a unit below its parent."""
        from qingfeng.operations import admin
        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.store.users import UserError

        settings = settings_for(workspace)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as s, s.begin():
                cli = admin.Admin.cli()
                parent_org = admin.get_org(s, cli, parent) if parent else None
                org_id = admin.add_org(s, cli, name, kind, code or None, parent_org).id
        except UserError as exc:
            raise fail(str(exc)) from None
        finally:
            engine.dispose()
        console.print(f"已添加单位 / unit added: [bold]{name}[/] (id {org_id})")

    @orgs.command("list")
    def list_(
        workspace: WorkspaceOption = None,
        flat: Annotated[bool, typer.Option("--flat", help="A table instead of a tree.")] = False,
    ) -> None:
        """Show the organisation tree."""
        from qingfeng.operations import admin
        from qingfeng.store.db import make_engine, session_factory

        settings = settings_for(workspace)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as s:
                rows = admin.orgs_in_scope(s, admin.Admin.cli())
        finally:
            engine.dispose()
        if flat:
            table = Table("id", "名称 name", "类型 kind", "区划 code", "上级 parent")
            for o in rows:
                table.add_row(
                    str(o.id), o.name, o.kind, o.division_code or "", str(o.parent_id or "")
                )
            console.print(table)
            return
        root = Tree("组织机构 / organisations")
        nodes: dict[int, Tree] = {}
        for o in rows:
            label = f"{o.name} [dim]({o.kind} {o.division_code or ''} id {o.id})[/]"
            parent_node = nodes.get(o.parent_id) if o.parent_id else None
            nodes[o.id] = (parent_node or root).add(label)
        console.print(root)
