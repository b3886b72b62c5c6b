"""`qingfeng warnings remind | ranking | letter`: reminders and escalation (the daily job), the
ranking of units by overdue work, and printable 督办单 / 提醒函."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for
from qingfeng.cli.warnings import AsOption, _acting

# (imported by qingfeng.cli.warnings.register, once that module is loaded)


def register(w: typer.Typer) -> None:
    """Add the commands to `qingfeng warnings`."""

    @w.command("remind")
    def remind_cmd(workspace: WorkspaceOption = None) -> None:
        """Due-soon and overdue reminders (in the app, and by e-mail when [mail] is set) and
        automatic escalation. Run it daily (cron / systemd timer); running it again the same
        day reminds nobody twice."""
        from qingfeng.loop.config import LoopConfigError, load_loop_config
        from qingfeng.loop.errors import LoopError
        from qingfeng.loop.mail import MailConfigError, load_mail_config
        from qingfeng.loop.reminders import remind
        from qingfeng.settings import SETTINGS_FILE
        from qingfeng.store.db import make_engine, session_factory
        from qingfeng.web.model_index import load_model_catalogue

        settings = settings_for(workspace)
        try:
            config = load_loop_config(settings.workspace / SETTINGS_FILE)
            mail = load_mail_config(settings.workspace / SETTINGS_FILE)
        except (LoopConfigError, MailConfigError) as exc:
            raise fail(str(exc)) from None
        if not mail.enabled:
            console.print(
                "[yellow]未配置邮件服务器（qingfeng.toml 的 \\[mail]），提醒只在平台内显示 / "
                "no mail server configured (\\[mail] in qingfeng.toml): "
                "reminders in the app only[/]"
            )
        names = {m.id: m.name for m in load_model_catalogue(settings).values()}
        engine = make_engine(settings.database_url)
        try:
            with Progress(
                TextColumn("提醒 / reminders"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("remind", total=None)

                def step(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                report = remind(
                    session_factory(engine), config, mail, model_names=names, progress=step
                )
        except LoopError as exc:
            raise fail(str(exc)) from None
        finally:
            engine.dispose()
        table = Table("项目 item", "数量 count", title=f"每日提醒 / reminders — {report.day}")
        for label, value in (
            ("临期或超期的预警 / due soon or overdue", report.candidates),
            ("本次临期提醒 / due-soon reminders", report.due_soon),
            ("本次超期提醒 / overdue reminders", report.overdue),
            ("自动提级 / escalated", report.escalated),
            ("此前已提醒 / reminded before", report.already),
            ("站内通知 / notifications", report.notifications),
            ("邮件已发送 / e-mails sent", report.emails_sent),
            ("邮件失败 / e-mails failed", report.emails_failed),
        ):
            table.add_row(label, str(value))
        console.print(table)
        if mail.enabled and report.without_address:
            console.print(
                f"{report.without_address} 条通知的接收人没有电子邮件地址，只在平台内提醒"
                "（qingfeng users email USER ADDRESS）/ notifications whose person has no "
                "e-mail address: in the app only"
            )
        if report.mail_error:
            console.print(f"[red]邮件发送失败，明日重试 / mail failed, retried next run: "
                          f"{report.mail_error}[/]")  # fmt: skip
        if report.no_recipient:
            ids = ", ".join(str(i) for i in report.no_recipient[:20])
            console.print(f"[yellow]无人可提醒（单位无核查人员）/ nobody to remind: {ids}[/]")
        for wid, why in report.not_escalated[:20]:
            console.print(f"[yellow]预警 {wid} 未能提级 / not escalated: {why}[/]")

    @w.command("ranking")
    def ranking_cmd(
        as_user: AsOption = "",
        busy_only: Annotated[
            bool, typer.Option("--busy", help="Only units holding open warnings.")
        ] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """督办排名: the units of your organisation ranked by overdue warnings."""
        from qingfeng.loop.ranking import rank_units

        with _acting(workspace, as_user) as (_settings, actor):
            rows = rank_units(actor, include_idle=not busy_only)
        table = Table(
            "名次 rank", "单位 unit", "超期 overdue", "最长超期(工作日) late", "临期 due soon",
            "在办 open", "提级 escalated", title="督办排名 / units by overdue warnings",
        )  # fmt: skip
        for r in rows:
            table.add_row(
                str(r.rank), r.name, str(r.overdue),
                str(r.late_days) if r.oldest_due else "",
                str(r.due_soon), str(r.open), str(r.escalated),
            )  # fmt: skip
        console.print(table)

    @w.command("letter")
    def letter_cmd(
        warning_id: Annotated[int, typer.Argument()],
        kind: Annotated[
            str, typer.Option("--kind", help="supervision (督办单) | reminder (提醒函)")
        ] = "supervision",
        instructions: Annotated[
            str, typer.Option("--instructions", help="办理要求 (default: a standard text).")
        ] = "",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write.")] = None,
        as_user: AsOption = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        """A printable 督办单 or 提醒函 for one warning (HTML for A4; audited)."""
        from qingfeng.loop.letters import build_letter, render_letter
        from qingfeng.loop.service import get_warning
        from qingfeng.loop.third_parties import Layouts
        from qingfeng.web.model_index import load_model_catalogue

        settings = settings_for(workspace)
        names = {m.id: m.name for m in load_model_catalogue(settings).values()}
        with _acting(workspace, as_user) as (_settings, actor):
            warning = get_warning(actor, warning_id)
            letter = build_letter(
                actor,
                warning,
                kind,
                model_name=names.get(warning.model_id, warning.model_id),
                layout=Layouts(settings.models_dir).get(warning.model_id),
                instructions=instructions,
            )
        html = render_letter(letter)
        target = out or Path(f"{letter.kind}-{warning_id}.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        console.print(f"已写出{letter.title} {letter.number} / written: {target}")
