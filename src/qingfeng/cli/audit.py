"""`qingfeng audit ...`: check the hash chain of the audit log, show recent entries."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="审计日志 / the audit log.", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("verify")
    def verify_cmd(
        workspace: WorkspaceOption = None,
        checkpoint: Annotated[
            bool,
            typer.Option(
                "--checkpoint/--no-checkpoint",
                help="Append a signed checkpoint of the verified head (needs audit_key).",
            ),
        ] = True,
    ) -> None:
        """Prove the audit chain intact, or name the first broken row (exit code 2).

        With an audit key every row's MAC and every signed checkpoint
        (settings audit_checkpoint_file) are checked too."""
        from qingfeng import audit
        from qingfeng.audit import checkpoints
        from qingfeng.store.db import make_engine, session_factory

        settings = settings_for(workspace)
        key = settings.audit_key.encode("utf-8") if settings.audit_key else None
        try:
            witnessed = checkpoints.read(settings.checkpoint_path, key) if key else []
        except checkpoints.CheckpointError as exc:
            raise fail(f"审计检查点无效 / audit checkpoints invalid: {exc}", code=2) from None
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as session:
                report = audit.verify(session, key=key, checkpoints=witnessed)
                head = audit.head(session)
        except (OperationalError, OSError) as exc:
            raise fail(
                f"无法读取工作流库，审计链未核验 / cannot read the store, the chain was not "
                f"verified: {str(exc).splitlines()[0]}",
                code=3,
            ) from None
        finally:
            engine.dispose()
        if not report.ok:
            raise fail(
                f"审计链在第 {report.first_broken_seq} 条处断裂 / audit chain broken at row "
                f"{report.first_broken_seq}: {report.reason} "
                f"({report.rows} rows before it are intact)",
                code=2,
            )
        console.print(
            f"[green]审计链完整 / audit chain intact[/]: {report.rows} 条记录 / rows verified, "
            f"{len(witnessed)} 个签名检查点 / signed checkpoints matched"
        )
        if key is None:
            console.print(
                "[yellow]未设置 audit_key：审计链未加密钥 / no audit_key set: the chain is "
                "unkeyed[/] (docs/security.md, “Audit log”)"
            )
        elif checkpoint and head is not None:
            try:
                checkpoints.write(settings.checkpoint_path, key, head[0], head[1])
            except OSError as exc:
                console.print(
                    "[yellow]检查点未写入 / checkpoint not written[/]: "
                    f"{settings.checkpoint_path}: {exc.strerror or exc}"
                )
                return
            console.print(f"检查点 / checkpoint at row {head[0]} → {settings.checkpoint_path}")

    @audit_app.command("seal")
    def seal_cmd(workspace: WorkspaceOption = None) -> None:
        """Sign a checkpoint of the chain as it is now, after proving its hashes intact.

        For keying a chain written before audit_key was set: its rows carry no MAC, and this
        checkpoint vouches for all of them (exit code 2 if the chain is broken)."""
        from qingfeng import audit
        from qingfeng.audit import checkpoints
        from qingfeng.store.db import make_engine, session_factory

        settings = settings_for(workspace)
        if not settings.audit_key:
            raise fail("未设置 audit_key / set audit_key in qingfeng.toml first", code=2)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as session:
                report = audit.verify(session)
                head = audit.head(session)
        finally:
            engine.dispose()
        if not report.ok or head is None:
            raise fail(
                f"审计链断裂，未签名 / audit chain broken, nothing signed: {report.reason}", code=2
            )
        checkpoints.write(
            settings.checkpoint_path, settings.audit_key.encode("utf-8"), head[0], head[1]
        )
        console.print(
            f"已签名检查点 / signed checkpoint at row {head[0]} → {settings.checkpoint_path}"
        )

    @audit_app.command("tail")
    def tail_cmd(
        workspace: WorkspaceOption = None,
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
    ) -> None:
        """Show the latest audit rows (newest last)."""
        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.store.models import AuditLog

        settings = settings_for(workspace)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine)() as session:
                rows = list(
                    session.scalars(select(AuditLog).order_by(AuditLog.seq.desc()).limit(limit))
                )[::-1]
        finally:
            engine.dispose()
        if as_json:
            for r in rows:
                console.print_json(
                    json.dumps(
                        {
                            "seq": r.seq,
                            "at": r.at.isoformat(),
                            "actor": r.actor,
                            "action": r.action,
                            "object": f"{r.object_type}:{r.object_id}",
                            "detail": r.detail,
                            "hash": r.hash,
                        },
                        ensure_ascii=False,
                    )
                )
            return
        table = Table("seq", "时间 at", "操作人 actor", "操作 action", "对象 object")
        for r in rows:
            table.add_row(
                str(r.seq),
                r.at.isoformat(timespec="seconds"),
                r.actor,
                r.action,
                f"{r.object_type}:{r.object_id}",
            )
        console.print(table)
