"""`qingfeng warnings ...`: list, show, act on, dispatch and export warnings; digest; outcomes.

Every command acts as a named user (`--as`, or $QINGFENG_USER): the user's organisation scope
limits what is seen, the role what may be done, and the audit log records who did it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from qingfeng.cli.common import WorkspaceOption, console, fail, settings_for

AsOption = Annotated[
    str,
    typer.Option("--as", help="Act as this user (scope, role, audit).", envvar="QINGFENG_USER"),
]
StatusOpt = Annotated[list[str] | None, typer.Option("--status", help="State (repeatable).")]
SeverityOpt = Annotated[
    list[str] | None, typer.Option("--severity", help="red|orange|yellow|blue (repeatable).")
]
ModelOpt = Annotated[list[str] | None, typer.Option("--model", help="Model id (repeatable).")]
OrgOpt = Annotated[str, typer.Option("--org", help="Unit: division code, id or exact name.")]
DueOpt = Annotated[str, typer.Option("--due", help="soon | overdue")]
AreaOpt = Annotated[str, typer.Option("--area", help="Division-code prefix of the area.")]
SortOpt = Annotated[
    str,
    typer.Option("--sort", help="-risk|-created_at|created_at|due_at|-due_at|-amount|amount|id"),
]
QueueOpt = Annotated[
    str,
    typer.Option(
        "--queue", help="to_dispatch | to_accept | verifying | to_review | due_soon | overdue"
    ),
]
DaysOpt = Annotated[
    int | None,
    typer.Option("--days", min=1, max=365, help="Working days for the whole verification."),
]
InstructionsOpt = Annotated[
    str, typer.Option("--instructions", help="Written instructions (on the timeline).")
]

FINDING_HELP = "confirmed | partly_confirmed | unfounded | cannot_verify"
SEVERITY_STYLE = {"red": "bold red", "orange": "dark_orange", "yellow": "yellow", "blue": "blue"}


@contextmanager
def _acting(workspace: Path | None, username: str) -> Iterator[Any]:
    """An Actor for `username` inside one transaction; loop errors become clear CLI errors."""
    from sqlalchemy import select

    from qingfeng.loop.config import LoopConfigError, load_loop_config
    from qingfeng.loop.errors import LoopError
    from qingfeng.loop.service import actor_for
    from qingfeng.settings import SETTINGS_FILE
    from qingfeng.store.db import make_engine, session_factory
    from qingfeng.store.models import User

    settings = settings_for(workspace)
    if not username:
        raise fail("请用 --as 指定操作用户 / name the acting user with --as (or $QINGFENG_USER)")
    try:
        config = load_loop_config(settings.workspace / SETTINGS_FILE)
    except LoopConfigError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise fail(f"用户 {username} 不存在或已停用 / no active user {username!r}")
            try:
                yield settings, actor_for(session, user, config)
            except LoopError as exc:
                raise fail(str(exc)) from None
    finally:
        engine.dispose()


def _org_id(session: Any, ref: str) -> int | None:
    from qingfeng.store.users import org_by_code_or_id

    if not ref:
        return None
    org = org_by_code_or_id(session, ref)
    if org is None:
        raise fail(f"找不到单位 / no organisation {ref!r}")
    return int(org.id)


def _query(actor: Any, **fields: Any) -> Any:
    from pydantic import ValidationError

    from qingfeng.loop.query import WarningQuery

    data = {k: v for k, v in fields.items() if v not in (None, "", [])}
    try:
        return WarningQuery.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--{first['loc'][0]}: {first['msg']}") from None


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _when(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A timestamp in the loop's time zone (deadlines are local working days)."""
    return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    w = typer.Typer(help="预警闭环 / warnings through the closed loop.", no_args_is_help=True)
    app.add_typer(w, name="warnings")

    @w.command("list")
    def list_(
        as_user: AsOption = "",
        status: StatusOpt = None,
        severity: SeverityOpt = None,
        model: ModelOpt = None,
        org: OrgOpt = "",
        area: AreaOpt = "",
        due: DueOpt = "",
        queue: QueueOpt = "",
        sort: SortOpt = "-created_at",
        limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
        offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        """List warnings in your scope (personal data masked)."""
        from qingfeng.loop.query import list_warnings
        from qingfeng.masking import mask_id, mask_name

        with _acting(workspace, as_user) as (_settings, actor):
            q = _query(
                actor,
                status=status,
                severity=severity,
                model_id=model,
                org_id=_org_id(actor.session, org),
                division_code=area,
                due=due,
                queue=queue,
                sort=sort,
                limit=limit,
                offset=offset,
            )
            page = list_warnings(actor, q, with_total=True)
            zone = actor.config.zone
            rows: list[dict[str, Any]] = [
                {
                    "id": x.id,
                    "model_id": x.model_id,
                    "severity": x.severity,
                    "status": x.status,
                    "subject_id": mask_id(x.subject_id),
                    "subject_name": mask_name(x.subject_name),
                    "amount": str(x.amount) if x.amount is not None else None,
                    "division_code": x.division_code,
                    "due_at": x.due_at.astimezone(zone).isoformat() if x.due_at else None,
                    "overdue": bool(x.due_at and not x.paused and x.due_at < actor.now),
                    "risk_score": x.risk_score,
                }
                for x in page.items
            ]
        if as_json:
            for r in rows:
                typer.echo(json.dumps(r, ensure_ascii=False))
            return
        table = Table(
            "id", "风险 risk", "模型 model", "等级", "状态 state", "对象 subject", "金额 amount",
            "期限 due",
            title=f"预警 / warnings: {page.offset + 1}–{page.offset + len(rows)} / {page.total}",
        )  # fmt: skip
        for r in rows:
            due_text = (r["due_at"] or "")[:16].replace("T", " ")
            table.add_row(
                str(r["id"]),
                f"{r['risk_score'] or 0:.1f}",
                r["model_id"],
                f"[{SEVERITY_STYLE.get(r['severity'], '')}]{r['severity']}[/]",
                r["status"],
                f"{r['subject_name'] or ''} {r['subject_id']}",
                r["amount"] or "",
                f"[bold red]{due_text} 超期[/]" if r["overdue"] else due_text,
            )
        console.print(table)

    @w.command("show")
    def show(
        warning_id: Annotated[int, typer.Argument()],
        as_user: AsOption = "",
        reveal: Annotated[
            bool, typer.Option("--reveal", help="Show personal data unmasked (audited).")
        ] = False,
        purpose: Annotated[str, typer.Option("--purpose", help="Why (needed with --reveal).")] = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        """One warning with its timeline."""
        from qingfeng import audit
        from qingfeng.loop.machine import STATE_LABELS, allowed_actions
        from qingfeng.loop.service import get_warning, timeline
        from qingfeng.loop.service import lines as lead_lines
        from qingfeng.loop.third_parties import Layouts, mask_warning
        from qingfeng.masking import mask_evidence, mask_id, mask_name, mask_text

        with _acting(workspace, as_user) as (_settings, actor):
            x = get_warning(actor, warning_id)
            if reveal:
                from qingfeng.web.roles import Area, allows  # the one policy's permissions

                if not allows(actor.user.role, Area.UNMASK):
                    raise fail(f"role {actor.user.role} may not see unmasked personal data")
                if len(purpose.strip()) < 2:
                    raise fail("--reveal 需要 --purpose 查看目的 / --reveal needs --purpose")
                audit.append(
                    actor.session, actor.user.username, "warning.reveal", "warning", x.id,
                    {"purpose": purpose.strip(), "via": "cli"},
                )  # fmt: skip
            subject = (
                f"{x.subject_name or ''} {x.subject_id}"
                if reveal
                else f"{mask_name(x.subject_name) or ''} {mask_id(x.subject_id)}"
            )
            audit.append(
                actor.session, actor.user.username, "warning.view", "warning", x.id,
                {"revealed": reveal, "via": "cli"},
            )  # fmt: skip
            explanation, evidence = x.explanation, x.evidence
            if not reveal:  # third parties by the model's lineage, then the usual masks
                layout = Layouts(_settings.models_dir).get(x.model_id)
                shown = mask_warning(x.explanation, x.evidence or {}, layout)
                explanation, evidence = mask_text(shown.explanation), mask_evidence(shown.evidence)
            if not reveal and x.subject_name:
                explanation = explanation.replace(x.subject_name, mask_name(x.subject_name) or "")
            events = timeline(actor, warning_id)
            evidence_lines = lead_lines(actor, warning_id)
            allowed = allowed_actions(x, actor.user)
            zone = actor.config.zone
            lines = [
                f"[bold]预警 {x.id}[/] · {x.model_id} v{x.model_version} · "
                f"[{SEVERITY_STYLE.get(x.severity, '')}]{x.severity}[/] · "
                f"{STATE_LABELS.get(x.status, x.status)} · version {x.version}",
                f"对象 subject: {subject} ({x.subject_type}) · 期间 period {x.period}",
                f"金额 amount: {_money(x.amount)} · 区划 division {x.division_code or ''}",
                f"说明 explanation: {explanation}",
                f"证据 evidence: {json.dumps(evidence, ensure_ascii=False, default=str)}",
                f"期限 due: {_when(x.due_at, zone)}"
                + (f" [yellow](暂停 paused: {x.pause_reason})[/]" if x.paused else ""),
            ]
            if x.finding:
                lines.append(
                    f"结论 finding: {x.finding} · 措施 measures: {', '.join(x.measures or [])} · "
                    f"追缴 recovered: {_money(x.funds_recovered)}"
                )
            lines.append(f"明细 lines: {len(evidence_lines)}")
            for item in evidence_lines:
                text = item.explanation if reveal else mask_text(item.explanation)
                if not reveal and x.subject_name:
                    text = text.replace(x.subject_name, mask_name(x.subject_name) or "")
                mark = "" if item.present else " (未再命中 gone)"
                lines.append(
                    f"  · {item.period} {item.severity} {_money(item.amount)} {text}{mark}"
                )
            lines.append(f"可执行 allowed actions: {', '.join(allowed) or '—'}")
        for line in lines:
            console.print(line)
        table = Table("时间 at", "操作 action", "从 from", "到 to", "内容 payload", title="时间线")
        for e in events:
            table.add_row(
                _when(e.at, zone), e.action, e.from_state or "", e.to_state or "",
                json.dumps(e.payload, ensure_ascii=False, default=str)[:120],
            )  # fmt: skip
        console.print(table)

    @w.command("act")
    def act_cmd(
        warning_id: Annotated[int, typer.Argument()],
        action: Annotated[str, typer.Argument(help="See `qingfeng warnings transitions`.")],
        as_user: AsOption = "",
        org: OrgOpt = "",
        assignee: Annotated[str, typer.Option("--assignee", help="Username.")] = "",
        reason: Annotated[str, typer.Option("--reason")] = "",
        finding: Annotated[
            str,
            typer.Option("--finding", help=FINDING_HELP),
        ] = "",
        measure: Annotated[list[str] | None, typer.Option("--measure", help="Repeatable.")] = None,
        funds: Annotated[str, typer.Option("--funds", help="Yuan recovered.")] = "",
        note: Annotated[str, typer.Option("--note")] = "",
        report: Annotated[str, typer.Option("--report", help="Rectification report.")] = "",
        target: Annotated[int | None, typer.Option("--target", help="Merge into.")] = None,
        case_no: Annotated[str, typer.Option("--case-no")] = "",
        case_title: Annotated[str, typer.Option("--case-title")] = "",
        days: DaysOpt = None,
        instructions: InstructionsOpt = "",
        version: Annotated[
            int | None, typer.Option("--version", help="Refuse if changed since.")
        ] = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """Apply one action of the state machine to a warning."""
        from pydantic import ValidationError
        from sqlalchemy import select

        from qingfeng.loop.machine import STATE_LABELS, ActionRequest
        from qingfeng.loop.service import act
        from qingfeng.store.models import User

        with _acting(workspace, as_user) as (_settings, actor):
            assignee_id = None
            if assignee:
                assignee_id = actor.session.scalar(select(User.id).where(User.username == assignee))
                if assignee_id is None:
                    raise fail(f"no user {assignee!r}")
            try:
                amount = Decimal(funds) if funds else None
            except InvalidOperation:
                raise fail(f"--funds {funds!r} is not an amount in yuan") from None
            try:
                req = ActionRequest(
                    version=version,
                    org_id=_org_id(actor.session, org),
                    assignee_id=assignee_id,
                    reason=reason or None,
                    finding=finding or None,
                    measures=measure or [],
                    funds_recovered=amount,
                    note=note or None,
                    report=report or None,
                    target_id=target,
                    case_no=case_no or None,
                    case_title=case_title or None,
                    days=days,
                    instructions=instructions or None,
                )
            except ValidationError as exc:
                first = exc.errors()[0]
                field = str(first["loc"][0])
                option = {"funds_recovered": "funds", "target_id": "target"}.get(field, field)
                raise fail(f"--{option.replace('_', '-')}: {first['msg']}") from None
            x = act(actor, warning_id, action, req)
            state, due, zone = x.status, x.due_at, actor.config.zone
        console.print(
            f"预警 {warning_id}: {action} → {STATE_LABELS.get(state, state)}"
            + (f" · 期限 due {_when(due, zone)}" if due else "")
        )

    @w.command("comment")
    def comment_cmd(
        warning_id: Annotated[int, typer.Argument()],
        text: Annotated[str, typer.Argument()],
        as_user: AsOption = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        """Add a comment to a warning."""
        from qingfeng.loop.service import comment

        with _acting(workspace, as_user) as (_settings, actor):
            comment(actor, warning_id, text)
        console.print(f"已评论 / comment added to {warning_id}")

    @w.command("dispatch")
    def dispatch(
        ids: Annotated[list[int] | None, typer.Argument(help="Warning ids.")] = None,
        as_user: AsOption = "",
        org: Annotated[
            str, typer.Option("--org", help="Target unit; default: route by division code.")
        ] = "",
        all_new: Annotated[
            bool, typer.Option("--all-new", help="Every new warning in scope (with filters).")
        ] = False,
        severity: SeverityOpt = None,
        model: ModelOpt = None,
        area: AreaOpt = "",
        days: DaysOpt = None,
        instructions: InstructionsOpt = "",
        workspace: WorkspaceOption = None,
    ) -> None:
        """Dispatch warnings to units (all or nothing), with due dates by severity, or the
        deadline given in working days, and written instructions on every timeline."""
        from sqlalchemy import select

        from qingfeng.loop.query import WarningQuery, filtered
        from qingfeng.loop.service import bulk_dispatch
        from qingfeng.store.models import Organisation, Warning

        if not ids and not all_new:
            raise fail("give warning ids, or --all-new")
        with _acting(workspace, as_user) as (_settings, actor):
            chosen = list(ids or [])
            if all_new:
                q = WarningQuery(
                    status=["new"], severity=severity or [], model_id=model or [],
                    division_code=area or None,
                )  # fmt: skip
                chosen += list(
                    actor.session.scalars(filtered(actor, q).with_only_columns(Warning.id))
                )
            if not chosen:
                console.print("没有待分办的预警 / nothing to dispatch")
                return
            with console.status(f"分办 {len(chosen)} 条预警 / dispatching {len(chosen)} warnings"):
                result = bulk_dispatch(
                    actor,
                    chosen,
                    _org_id(actor.session, org),
                    instructions=instructions or None,
                    days=days,
                )
            names = dict(
                actor.session.execute(
                    select(Organisation.id, Organisation.name).where(
                        Organisation.id.in_(result.by_org)
                    )
                ).all()
            )
        console.print(f"已分办 / dispatched: [bold]{result.dispatched}[/]")
        for oid, n in sorted(result.by_org.items(), key=lambda kv: -kv[1]):
            console.print(f"  {names.get(oid, oid)}: {n}")

    @w.command("export")
    def export(
        as_user: AsOption = "",
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="csv | xlsx | jsonl | digest")
        ] = "csv",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file.")] = None,
        unmasked: Annotated[
            bool, typer.Option("--unmasked", help="Personal data in clear (audited).")
        ] = False,
        status: StatusOpt = None,
        severity: SeverityOpt = None,
        model: ModelOpt = None,
        org: OrgOpt = "",
        area: AreaOpt = "",
        due: DueOpt = "",
        sort: SortOpt = "-created_at",
        workspace: WorkspaceOption = None,
    ) -> None:
        """Export the warnings in your scope (audited): CSV, Excel, JSON lines, or the digest."""
        from qingfeng.loop.export import FORMATS, export_warnings

        if fmt == "digest":
            _digest(workspace, as_user, out)
            return
        if fmt not in FORMATS:
            raise fail(f"--format must be one of csv, xlsx, jsonl, digest (got {fmt!r})")
        with _acting(workspace, as_user) as (settings, actor):
            q = _query(
                actor, status=status, severity=severity, model_id=model,
                org_id=_org_id(actor.session, org), division_code=area, due=due, sort=sort,
            )  # fmt: skip
            path = out or settings.reports_dir / f"warnings-{actor.now:%Y%m%d-%H%M%S}.{fmt}"
            with console.status(f"导出 / exporting to {path}"):
                n = export_warnings(
                    actor, q, fmt, path, masked=not unmasked, models_dir=settings.models_dir
                )
        console.print(f"已导出 / exported {n} warnings → [bold]{path}[/]")

    def _digest(workspace: Path | None, as_user: str, out: Path | None) -> None:
        from qingfeng.loop.digest import build_digest
        from qingfeng.store.models import Organisation

        with _acting(workspace, as_user) as (_settings, actor):
            home = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
            if home is None:
                raise fail(f"user {actor.user.username} belongs to no organisation")
            text = build_digest(actor.session, home, actor.config, actor.now).to_markdown()
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            console.print(f"已写出 / written: {out}")
        else:
            typer.echo(text)

    @w.command("digest")
    def digest(
        org: Annotated[
            str, typer.Option("--org", help="One unit (default: every unit, one file each).")
        ] = "",
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Folder (default reports/digest/<day>).")
        ] = None,
        workspace: WorkspaceOption = None,
    ) -> None:
        """The daily digest: new, due-soon and overdue warnings per unit (no personal data).

        Run it daily (cron); it also refreshes the store's query-planner statistics."""
        from sqlalchemy import select

        from qingfeng.loop.config import LoopConfigError, load_loop_config
        from qingfeng.loop.digest import build_digest
        from qingfeng.settings import SETTINGS_FILE
        from qingfeng.store.db import make_engine, refresh_statistics, session_factory
        from qingfeng.store.models import Organisation, utcnow
        from qingfeng.store.users import org_by_code_or_id

        settings = settings_for(workspace)
        try:
            config = load_loop_config(settings.workspace / SETTINGS_FILE)
        except LoopConfigError as exc:
            raise fail(str(exc)) from None
        now = utcnow()
        engine = make_engine(settings.database_url)
        written: list[tuple[str, Path, int, int]] = []
        try:
            with session_factory(engine)() as s:
                if org:
                    one = org_by_code_or_id(s, org)
                    if one is None:
                        raise fail(f"找不到单位 / no organisation {org!r}")
                    units = [one]
                else:
                    units = list(s.scalars(select(Organisation).order_by(Organisation.path)))
                if not units:
                    raise fail("no organisations yet: add them with `qingfeng orgs add`")
                first = build_digest(s, units[0], config, now)
                folder = out or settings.reports_dir / "digest" / first.day
                folder.mkdir(parents=True, exist_ok=True)
                for unit in units:
                    d = first if unit is units[0] else build_digest(s, unit, config, now)
                    path = folder / f"{unit.id:04d}-{unit.division_code or unit.kind}.md"
                    path.write_text(d.to_markdown(), encoding="utf-8")
                    written.append((unit.name, path, d.overdue_total, d.due_soon_total))
            refresh_statistics(engine)  # the daily job keeps the planner's statistics fresh
        finally:
            engine.dispose()
        table = Table("单位 unit", "超期 overdue", "临期 due soon", "文件 file")
        for name, path, overdue, soon in written:
            table.add_row(name, str(overdue), str(soon), str(path))
        console.print(table)

    @w.command("reroute")
    def reroute_cmd(as_user: AsOption = "", workspace: WorkspaceOption = None) -> None:
        """Give every warning an area (the county's when it has none) and, while it waits for
        dispatch, its responsible unit from the current organisation tree. Administrators only.

        `qingfeng run` routes each model's warnings from their subjects; use this after adding
        or changing units, or after upgrading a store whose warnings had no owner."""
        from qingfeng import audit
        from qingfeng.store.routing import county_code, reroute

        with _acting(workspace, as_user) as (settings, actor):
            if actor.user.role != "administrator":
                raise fail(f"role {actor.user.role} may not reroute warnings (administrators only)")
            county = county_code(actor.session, settings.county_division_code)
            if county is None:
                raise fail(
                    "不知道本工作区所在县 / the workspace's county is unknown: set "
                    "county_division_code in qingfeng.toml (or keep exactly one county unit)"
                )
            waiting = reroute(actor.session, settings.county_division_code)
            audit.append(
                actor.session, actor.user.username, "warning.reroute", "warning", "*",
                {"county": county, "waiting": waiting},
            )  # fmt: skip
        console.print(f"已重新分派 / routed: county {county}, {waiting} warnings awaiting dispatch")

    @w.command("outcomes")
    def outcomes(as_user: AsOption = "", workspace: WorkspaceOption = None) -> None:
        """Per model: precision of verified warnings, money recovered, cases; low ones flagged."""
        from qingfeng.loop.outcomes import model_outcomes

        with _acting(workspace, as_user) as (_settings, actor):
            rows = model_outcomes(actor)
        table = Table(
            "模型 model", "预警 warnings", "已核实 verified", "属实 confirmed", "准确率 precision",
            "追缴 recovered", "立案 cases", "",
        )  # fmt: skip
        for o in rows:
            table.add_row(
                o.model_id, str(o.warnings), str(o.verified), str(o.confirmed),
                "—" if o.precision is None else f"{o.precision:.0%}",
                _money(o.funds_recovered), str(o.cases_opened),
                "[bold red]复核 review[/]" if o.flagged else "",
            )  # fmt: skip
        console.print(table)

    @w.command("rescore")
    def rescore(workspace: WorkspaceOption = None) -> None:
        """Recompute every open warning's risk score (`qingfeng run` does it after each sync)."""
        import time

        from qingfeng.loop.config import load_loop_config
        from qingfeng.loop.risk import recompute_risk
        from qingfeng.settings import SETTINGS_FILE
        from qingfeng.store.db import make_engine, session_factory

        settings = settings_for(workspace)
        config = load_loop_config(settings.workspace / SETTINGS_FILE)
        engine = make_engine(settings.database_url)
        started = time.perf_counter()
        try:
            with session_factory(engine)() as s, s.begin():
                changed = recompute_risk(s, config)
        finally:
            engine.dispose()
        console.print(
            f"风险评分已更新 / risk scores updated: {changed} "
            f"({time.perf_counter() - started:.1f} s)"
        )

    @w.command("transitions")
    def transitions() -> None:
        """The state machine: each action, from which states, to which, by which roles."""
        from qingfeng.loop.machine import TRANSITIONS

        table = Table("动作 action", "名称 label", "从 from", "到 to", "角色 roles", "必填 needs")
        for t in TRANSITIONS.values():
            table.add_row(
                t.action, t.label, ", ".join(sorted(t.sources)), t.target or "(same)",
                ", ".join(sorted(t.roles)), ", ".join(t.requires),
            )  # fmt: skip
        console.print(table)

    from qingfeng.cli import notify

    notify.register(w)  # remind, ranking, letter
