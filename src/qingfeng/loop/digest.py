"""The daily digest (每日提醒): per unit, what is new, due soon, overdue and done.

It lists warnings by id, model, severity, unit and deadline only — no names or ID numbers — so
it can be mailed or printed without exposing personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from qingfeng.hits import SEVERITIES
from qingfeng.loop.calendar import Clock
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.machine import OPEN_STATES, STATE_LABELS
from qingfeng.store.models import Organisation, Warning
from qingfeng.store.scope import org_scope_clause

LIST_LIMIT = 50  # per section; the counts are always complete


@dataclass(frozen=True)
class DigestItem:
    id: int
    model_id: str
    severity: str
    status: str
    org: str
    due_at: datetime | None


@dataclass
class Digest:
    org: str
    day: str
    counts: dict[str, int]
    new: int
    dispatched_today: int
    archived_today: int
    paused: int
    overdue: list[DigestItem] = field(default_factory=list)
    overdue_total: int = 0
    due_soon: list[DigestItem] = field(default_factory=list)
    due_soon_total: int = 0
    # Years a deadline may reach whose holidays nobody has entered: deadlines there skip
    # weekends only, so the digest says so until the calendar is completed.
    unknown_holiday_years: list[int] = field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [
            f"# 每日预警提醒 / daily digest — {self.org} — {self.day}",
            "",
            f"- 新预警待分办 / new, not yet dispatched: **{self.new}**",
            f"- 今日分办 / dispatched today: {self.dispatched_today}",
            f"- 今日归档 / archived today: {self.archived_today}",
            f"- 超期 / overdue: **{self.overdue_total}**",
            f"- 临期 / due soon: **{self.due_soon_total}**",
            f"- 暂停计时 / clock paused: {self.paused}",
        ]
        for year in self.unknown_holiday_years:
            lines.append(
                f"- **注意：日历中没有 {year} 年的法定节假日，期限只按周末计算；"
                "请在 qingfeng.toml 的 [loop.calendar] 中补充，或升级 chinesecalendar / "
                "note: no public holidays of "
                f"{year} in the calendar, deadlines skip weekends only; add them under "
                "[loop.calendar] in qingfeng.toml or upgrade chinesecalendar**"
            )
        lines += [
            "",
            "## 各状态数量 / by state",
            "",
            "| 状态 state | 数量 count |",
            "| --- | ---: |",
        ]
        lines += [f"| {STATE_LABELS[s]} | {n} |" for s, n in self.counts.items() if n]
        for title, items, total in (
            ("超期 / overdue", self.overdue, self.overdue_total),
            ("临期 / due soon", self.due_soon, self.due_soon_total),
        ):
            lines += ["", f"## {title}", ""]
            if not items:
                lines.append("无 / none")
                continue
            lines += [
                "| 预警 id | 模型 model | 等级 severity | 状态 state | 承办单位 unit | 期限 due |",
                "| ---: | --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| {i.id} | {i.model_id} | {i.severity} | {STATE_LABELS[i.status]} | {i.org} | "
                f"{i.due_at.isoformat(timespec='minutes') if i.due_at else ''} |"
                for i in items
            ]
            if total > len(items):
                lines.append(f"\n…另有 {total - len(items)} 条 / {total - len(items)} more")
        return "\n".join(lines) + "\n"


# The longest default stage runs 30 working days: six weeks and some holidays.
HOLIDAY_LOOKAHEAD = timedelta(days=60)


def build_digest(session: Session, org: Organisation, config: LoopConfig, now: datetime) -> Digest:
    clock = Clock.from_config(config)
    scope = org_scope_clause(session, org)
    today = clock.local_date(now)
    reach = sorted({today.year, (today + HOLIDAY_LOOKAHEAD).year})
    day_start = clock.end_of_day(today - timedelta(days=1)) + timedelta(seconds=1)
    horizon = clock.end_of_day(clock.calendar.add_working_days(today, config.due_soon_working_days))
    counts = dict.fromkeys(STATE_LABELS, 0)
    counts.update(
        dict(
            session.execute(
                select(Warning.status, func.count()).where(scope).group_by(Warning.status)
            ).all()
        )
    )

    def count(*conds: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(Warning).where(scope, *conds)
        return int(session.scalar(stmt) or 0)

    running = (Warning.status.in_(OPEN_STATES), Warning.paused.is_(False))
    overdue_cond = (*running, Warning.due_at < now)
    soon_cond = (*running, Warning.due_at >= now, Warning.due_at <= horizon)
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    severity_rank = {s: i for i, s in enumerate(SEVERITIES)}

    def items(*conds: ColumnElement[bool]) -> list[DigestItem]:
        rows = session.scalars(
            select(Warning)
            .where(scope, *conds)
            .order_by(Warning.due_at, Warning.id)
            .limit(LIST_LIMIT)
        )
        found = [
            DigestItem(
                w.id,
                w.model_id,
                w.severity,
                w.status,
                orgs.get(w.org_id, "") if w.org_id else "",
                w.due_at,
            )
            for w in rows
        ]
        return sorted(found, key=lambda i: (i.due_at, severity_rank.get(i.severity, 9), i.id))

    return Digest(
        org=org.name,
        day=today.isoformat(),
        counts=counts,
        new=counts["new"],
        dispatched_today=count(Warning.dispatched_at >= day_start),
        archived_today=count(Warning.archived_at >= day_start),
        paused=count(Warning.paused.is_(True), Warning.status.in_(OPEN_STATES)),
        overdue=items(*overdue_cond),
        overdue_total=count(*overdue_cond),
        due_soon=items(*soon_cond),
        due_soon_total=count(*soon_cond),
        unknown_holiday_years=[y for y in reach if not clock.calendar.knows_year(y)],
    )
