"""The daily reminder job (`qingfeng warnings remind`): due-soon and overdue reminders in the app
and by e-mail, and automatic escalation to the parent unit.

For every warning with a running clock that is due within `due_soon_working_days` working days
(临期) or past its deadline (超期), the people who must act get one notification in the app and
one line in an e-mail: the assignee and the unit's supervisors and verifiers (the nearest unit
above with such people when the unit has none). A warning `escalate_after_working_days` working
days overdue is escalated to the parent unit through the state machine (on its timeline and in
the audit log, as the system), and the parent unit's people are told; another as many working
days overdue escalates it one level further.

Each reminder and escalation is written to `reminder_log` under a unique key (warning, stage,
deadline, kind, step), in the same transaction as the notifications: running the job twice a day,
or two runs at once, never reminds twice (the second run finds the rows, or fails on the key and
writes nothing). A new stage or a moved deadline (resumed clock, reassignment) is a new key.

Reminders carry no names and no ID numbers: the warning's id, model, severity, state, unit and
deadline only; the person opens the warning in the back office.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from qingfeng.loop.calendar import Clock, WorkCalendar
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.errors import Conflict, LoopError
from qingfeng.loop.machine import OPEN_STATES, STATE_LABELS, ActionRequest, Actor, apply
from qingfeng.loop.mail import Mail, MailConfig, send_all
from qingfeng.store.models import (
    Notification,
    Organisation,
    ReminderLog,
    User,
    Warning,
    utcnow,
)

log = logging.getLogger(__name__)

# Who is reminded of a unit's work, and who learns that work was escalated to their unit.
REMIND_ROLES = ("supervisor", "verifier")
ESCALATION_ROLES = ("supervisor", "verifier", "leader")
SEVERITY_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
KIND_LABEL = {
    "overdue": "超期 / overdue",
    "due_soon": "临期 / due soon",
    "escalated": "提级 / escalated",
}
MAIL_LIST_LIMIT = 30  # per kind in one e-mail; the rest are in the app
MAIL_RETRY = timedelta(days=7)  # an e-mail the server refused is retried for a week
CHUNK = 1000


@dataclass
class RemindReport:
    day: str
    candidates: int = 0  # warnings due soon or overdue with a running clock
    due_soon: int = 0  # reminded this run
    overdue: int = 0
    escalated: int = 0
    already: int = 0  # reminded on an earlier run
    notifications: int = 0
    mail_enabled: bool = False
    emails_sent: int = 0
    emails_failed: int = 0
    mail_error: str = ""
    without_address: int = 0  # users reminded in the app only
    no_recipient: list[int] = field(default_factory=list)  # warnings nobody could be told of
    not_escalated: list[tuple[int, str]] = field(default_factory=list)  # (warning, why)


@dataclass(frozen=True)
class _Due:
    id: int
    status: str
    due_at: datetime
    org_id: int | None
    assignee_id: int | None
    severity: str
    model_id: str


def system_actor(session: Session, config: LoopConfig, now: datetime) -> Actor:
    """The reminder job acting through the state machine: a user that is never stored, so the
    timeline shows no person and the audit log names `system`."""
    user = User(username="system", display_name="系统 / system", role="administrator", active=True)
    return Actor(session, user, config, now)


class _Recipients:
    """Users to tell about a unit's work, found once per unit per run."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[int, tuple[str, ...]], list[User]] = {}

    def of_unit(self, org_id: int | None, roles: tuple[str, ...], *, climb: bool) -> list[User]:
        if org_id is None:
            return []
        key = (org_id, roles)
        if key not in self._cache:
            found: list[User] = []
            unit = self.session.get(Organisation, org_id)
            while unit is not None:
                found = list(
                    self.session.scalars(
                        select(User)
                        .where(User.org_id == unit.id, User.active.is_(True), User.role.in_(roles))
                        .order_by(User.id)
                    )
                )
                if found or not climb or unit.parent_id is None:
                    break
                unit = self.session.get(Organisation, unit.parent_id)
            self._cache[key] = found
        return self._cache[key]

    def user(self, user_id: int | None) -> User | None:
        if user_id is None:
            return None
        person = self.session.get(User, user_id)
        return person if person is not None and person.active else None


def _candidates(session: Session, horizon: datetime) -> list[_Due]:
    rows = session.execute(
        select(
            Warning.id,
            Warning.status,
            Warning.due_at,
            Warning.org_id,
            Warning.assignee_id,
            Warning.severity,
            Warning.model_id,
        )
        .where(
            Warning.status.in_(OPEN_STATES),
            Warning.paused.is_(False),
            Warning.due_at.is_not(None),
            Warning.due_at <= horizon,
        )
        .order_by(Warning.due_at, Warning.id)
    ).all()
    return [_Due(*row) for row in rows]  # type: ignore[arg-type]  # due_at is not NULL here


def _logged(session: Session, ids: list[int]) -> set[tuple[int, str, datetime, str, int]]:
    done: set[tuple[int, str, datetime, str, int]] = set()
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        done.update(
            (r.warning_id, r.stage, r.due_at, r.kind, r.step)
            for r in session.scalars(select(ReminderLog).where(ReminderLog.warning_id.in_(part)))
        )
    return done


def _late(clock: Clock, due_at: datetime, now: datetime) -> int:
    """Working days past the deadline's day."""
    return _working_days(clock.calendar, clock.local_date(due_at), clock.local_date(now))


@lru_cache(maxsize=8192)
def _working_days(calendar: WorkCalendar, start: date, end: date) -> int:
    # Many warnings share a deadline's day: count each span once (a first run meets years).
    return calendar.working_days_between(start, end)


def _text(
    kind: str,
    w: _Due,
    model_names: dict[str, str],
    unit: str,
    clock: Clock,
    now: datetime,
    extra: str = "",
) -> tuple[str, str]:
    """(title, body) of a notification: bilingual, without names or ID numbers."""
    due = w.due_at.astimezone(clock.zone).strftime("%Y-%m-%d %H:%M")
    model = model_names.get(w.model_id, w.model_id)
    if kind == "overdue":
        late = clock.calendar.working_days_between(
            clock.local_date(w.due_at), clock.local_date(now)
        )
        title = f"超期提醒：预警 {w.id} 已超期 {late} 个工作日 / warning {w.id} is overdue"
    elif kind == "due_soon":
        title = f"临期提醒：预警 {w.id} 将于 {due} 到期 / warning {w.id} is due {due}"
    else:
        title = f"提级督办：预警 {w.id} 已提级至 {unit} / warning {w.id} escalated to {unit}"
    body = (
        f"模型 model：{model}（{w.model_id}）\n"
        f"等级 severity：{SEVERITY_ZH.get(w.severity, w.severity)} / {w.severity}\n"
        f"状态 state：{STATE_LABELS.get(w.status, w.status)}\n"
        f"承办单位 unit：{unit}\n"
        f"期限 due：{due}"
    )
    return title, body + (f"\n{extra}" if extra else "")


def remind(
    sessions: sessionmaker[Session],
    config: LoopConfig,
    mail: MailConfig,
    *,
    now: datetime | None = None,
    model_names: dict[str, str] | None = None,
    base_url: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> RemindReport:
    """Run the daily reminders once (safe to run again: nothing is repeated)."""
    now = now or utcnow()
    names = model_names or {}
    clock = Clock.from_config(config)
    today = clock.local_date(now)
    report = RemindReport(day=today.isoformat(), mail_enabled=mail.enabled)
    horizon = clock.end_of_day(clock.calendar.add_working_days(today, config.due_soon_working_days))
    try:
        _remind_in_app(sessions, config, mail, now, names, clock, horizon, report, progress)
    except (IntegrityError, StaleDataError):
        raise Conflict(
            "另一次提醒任务或他人同时修改了这些预警，本次未写入任何内容，请稍后重试 / "
            "another reminder run, or someone acting on these warnings, wrote at the same "
            "moment; this run wrote nothing, run it again"
        ) from None
    if mail.enabled:
        _send_pending(sessions, mail, now, base_url or mail.base_url, report)
    log.info(
        "reminders %s: %d due soon, %d overdue, %d escalated, %d notifications, %d e-mails sent",
        report.day, report.due_soon, report.overdue, report.escalated, report.notifications,
        report.emails_sent,
    )  # fmt: skip
    return report


def _remind_in_app(
    sessions: sessionmaker[Session],
    config: LoopConfig,
    mail: MailConfig,
    now: datetime,
    names: dict[str, str],
    clock: Clock,
    horizon: datetime,
    report: RemindReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Notifications, the reminder log and escalations, in one transaction."""
    with sessions() as session, session.begin():
        due = _candidates(session, horizon)
        report.candidates = len(due)
        done = _logged(session, [w.id for w in due])
        people = _Recipients(session)
        units = dict(session.execute(select(Organisation.id, Organisation.name)).all())
        # written with executemany at the end: tens of thousands on a first run
        to_insert: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []

        def notify(users: Iterable[User], warning_id: int, kind: str, text: tuple[str, str]) -> int:
            seen: set[int] = set()
            for person in users:
                if person.id in seen:
                    continue
                seen.add(person.id)
                status = "pending" if mail.enabled and person.email else None
                if mail.enabled and not person.email:
                    report.without_address += 1
                to_insert.append(
                    {
                        "user_id": person.id,
                        "warning_id": warning_id,
                        "kind": kind,
                        "title": text[0],
                        "body": text[1],
                        "created_at": now,
                        "email_status": status,
                    }
                )
            return len(seen)

        for n, w in enumerate(due, 1):
            kind = "overdue" if w.due_at < now else "due_soon"
            unit_name = units.get(w.org_id, "") if w.org_id else ""
            if (w.id, w.status, w.due_at, kind, 0) in done:
                report.already += 1
            else:
                assignee = people.user(w.assignee_id)
                users = ([assignee] if assignee else []) + people.of_unit(
                    w.org_id, REMIND_ROLES, climb=True
                )
                told = notify(users, w.id, kind, _text(kind, w, names, unit_name, clock, now))
                if not told:
                    report.no_recipient.append(w.id)
                logs.append(
                    {"warning_id": w.id, "stage": w.status, "due_at": w.due_at, "kind": kind,
                     "step": 0, "org_id": w.org_id, "at": now}
                )  # fmt: skip
                setattr(report, kind, getattr(report, kind) + 1)
            if kind == "overdue" and config.escalate_after_working_days:
                _maybe_escalate(
                    session, w, done, config, clock, now, report, people, notify, names, logs
                )
            if progress:
                progress(n, len(due))
        for table, rows in ((ReminderLog, logs), (Notification, to_insert)):
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(table), rows[start : start + CHUNK])
        report.notifications = len(to_insert)


def _maybe_escalate(
    session: Session,
    w: _Due,
    done: set[tuple[int, str, datetime, str, int]],
    config: LoopConfig,
    clock: Clock,
    now: datetime,
    report: RemindReport,
    people: _Recipients,
    notify: Callable[[Iterable[User], int, str, tuple[str, str]], int],
    names: dict[str, str],
    logs: list[dict[str, Any]],
) -> None:
    """Escalate one level when the warning is another `escalate_after_working_days` overdue."""
    late = _late(clock, w.due_at, now)
    steps_due = late // config.escalate_after_working_days
    steps_done = sum(
        1
        for key in done
        if key[0] == w.id and key[1] == w.status and key[2] == w.due_at and key[3] == "escalated"
    )
    if steps_due <= steps_done:
        return
    step = steps_done + 1
    warning = session.get_one(Warning, w.id)
    reason = (
        f"超期 {late} 个工作日，自动提级（第 {step} 次）/ "
        f"{late} working days overdue: escalated automatically (step {step})"
    )
    try:
        apply(system_actor(session, config, now), warning, "escalate", ActionRequest(reason=reason))
    except LoopError as exc:  # the top of the tree: nobody above to escalate to
        report.not_escalated.append((w.id, str(exc)))
        # logged anyway, so the job does not retry it every day
    else:
        report.escalated += 1
        target = session.get(Organisation, warning.org_id) if warning.org_id else None
        unit = target.name if target else ""
        text = _text("escalated", w, names, unit, clock, now, reason)
        notify(
            people.of_unit(warning.org_id, ESCALATION_ROLES, climb=False), w.id, "escalated", text
        )
    logs.append(
        {"warning_id": w.id, "stage": w.status, "due_at": w.due_at, "kind": "escalated",
         "step": step, "org_id": warning.org_id, "at": now}
    )  # fmt: skip
    done.add((w.id, w.status, w.due_at, "escalated", step))


def _send_pending(
    sessions: sessionmaker[Session],
    mail: MailConfig,
    now: datetime,
    base_url: str,
    report: RemindReport,
) -> None:
    """One e-mail per person with every notification of theirs not mailed yet."""
    with sessions() as session:
        rows = session.execute(
            select(Notification, User)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.email_status == "pending",
                Notification.created_at >= now - MAIL_RETRY,
                User.email.is_not(None),
                User.active.is_(True),
            )
            .order_by(User.id, Notification.id)
        ).all()
        per_user: dict[int, tuple[User, list[Notification]]] = {}
        for note, person in rows:
            per_user.setdefault(person.id, (person, []))[1].append(note)
        batch = [_mail_for(person, notes, base_url) for person, notes in per_user.values()]
        owners = [notes for _person, notes in per_user.values()]
        session.expunge_all()
    if not batch:
        return
    try:
        sent = send_all(mail, batch)
    except OSError as exc:  # includes smtplib.SMTPException: server down or refusing us
        report.mail_error = f"{type(exc).__name__}: {exc}"
        report.emails_failed = len(batch)
        log.warning("reminder e-mail not sent: %s", report.mail_error)
        return
    report.emails_sent = len(sent.ok)
    report.emails_failed = len(sent.failed)
    for index, why in sent.failed.items():
        log.warning("reminder e-mail to user %s refused: %s", batch[index].to_name, why)
    ids = [note.id for i in sent.ok for note in owners[i]]
    with sessions() as session, session.begin():
        for start in range(0, len(ids), CHUNK):
            for note in session.scalars(
                select(Notification).where(Notification.id.in_(ids[start : start + CHUNK]))
            ):
                note.email_status, note.emailed_at = "sent", now


def _mail_for(person: User, notes: list[Notification], base_url: str) -> Mail:
    counts: dict[str, int] = defaultdict(int)
    for note in notes:
        counts[note.kind] += 1
    summary_zh = "、".join(
        f"{label.split(' / ')[0]} {counts[k]} 条" for k, label in KIND_LABEL.items() if counts[k]
    )
    summary_en = ", ".join(
        f"{counts[k]} {label.split(' / ')[1]}" for k, label in KIND_LABEL.items() if counts[k]
    )
    lines = [
        f"{person.display_name or person.username}，您好：",
        "",
        "以下预警需要您或您所在单位办理。/ These warnings need you or your unit:",
    ]
    for kind, label in KIND_LABEL.items():
        mine = [n for n in notes if n.kind == kind]
        if not mine:
            continue
        lines += ["", f"【{label}】"]
        for note in mine[:MAIL_LIST_LIMIT]:
            lines.append(f"- {note.title}")
            lines += [f"    {row}" for row in note.body.splitlines()]
            if base_url and note.warning_id:
                lines.append(f"    {base_url.rstrip('/')}/warnings/{note.warning_id}")
        if len(mine) > MAIL_LIST_LIMIT:
            more = len(mine) - MAIL_LIST_LIMIT
            lines.append(
                f"…另有 {more} 条，请在平台的“提醒”中查看 / {more} more under Notifications"
            )
    lines += [
        "",
        "本邮件由清风平台自动发送，不含个人信息，请登录平台查看和办理。",
        "Sent by the qingfeng platform; it holds no personal data. Sign in to see and act.",
    ]
    return Mail(
        to=person.email or "",
        to_name=person.display_name or person.username,
        subject=f"【清风】预警提醒：{summary_zh} / qingfeng reminders: {summary_en}",
        body="\n".join(lines) + "\n",
    )
