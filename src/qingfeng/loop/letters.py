"""Printable 督办单 (supervision order) and 提醒函 (reminder letter) for one warning.

A letter names the unit that must act, summarises the warning with the subject's name and ID
number masked and third parties masked (qingfeng.loop.third_parties), states the deadline and
the instructions, and ends with a signature block. It is print-ready HTML (A4, a print style
sheet): the browser prints it or saves it as PDF. Every letter issued is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from qingfeng import audit
from qingfeng.loop.calendar import Clock
from qingfeng.loop.errors import InvalidInput, PermissionDenied
from qingfeng.loop.machine import OPEN_STATES, STATE_LABELS, Actor
from qingfeng.loop.reminders import SEVERITY_ZH
from qingfeng.loop.third_parties import PersonalLayout, mask_person_name, mask_warning
from qingfeng.masking import mask_id, mask_text
from qingfeng.store.models import Organisation, Warning

LETTER_KINDS = {"supervision": "督办单", "reminder": "提醒函"}
LETTER_ROLES = frozenset({"administrator", "supervisor", "leader"})
MAX_INSTRUCTIONS = 2000
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Letter:
    kind: str
    title: str
    number: str
    issued_on: date
    issuer: str  # the issuing unit
    issued_by: str  # the person who issued it
    unit: str  # the unit that must act
    warning_id: int
    model: str
    severity: str
    state: str
    subject: str  # masked
    period: str
    amount: Decimal | None
    explanation: str  # subject and third parties masked
    due: str
    late_days: int
    overdue: bool
    instructions: str


def default_instructions(kind: str, due: str, late_days: int, overdue: bool) -> str:
    if kind == "supervision":
        return (
            f"请于{due or '规定期限'}前完成核查处置，并将核查结论、处置措施和整改情况书面报送。"
            "对逾期未办结的，将按有关规定予以通报、约谈。"
        )
    when = f"已超期 {late_days} 个工作日" if overdue else "即将到期"
    return f"该预警办理期限为{due or '（未定）'}，{when}。请抓紧办理，按期反馈办理情况。"


def build_letter(
    actor: Actor,
    warning: Warning,
    kind: str,
    *,
    model_name: str,
    layout: PersonalLayout,
    instructions: str = "",
) -> Letter:
    """The letter's content; writes `warning.letter` to the audit log (caller commits)."""
    if kind not in LETTER_KINDS:
        raise InvalidInput(f"letter kind {kind!r} is not one of {', '.join(LETTER_KINDS)}")
    if actor.user.role not in LETTER_ROLES:
        raise PermissionDenied(
            f"角色 {actor.user.role} 无权出具{LETTER_KINDS[kind]} / "
            f"role {actor.user.role} may not issue letters"
        )
    instructions = instructions.strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidInput(f"instructions: at most {MAX_INSTRUCTIONS} characters")
    clock = Clock.from_config(actor.config)
    unit = actor.session.get(Organisation, warning.org_id) if warning.org_id else None
    issuer = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
    running = warning.status in OPEN_STATES and warning.due_at is not None and not warning.paused
    overdue = bool(running and warning.due_at and warning.due_at < actor.now)
    late = (
        clock.calendar.working_days_between(
            clock.local_date(warning.due_at), clock.local_date(actor.now)
        )
        if overdue and warning.due_at
        else 0
    )
    due = warning.due_at.astimezone(clock.zone).strftime("%Y年%m月%d日") if warning.due_at else ""
    masked = mask_warning(warning.explanation, warning.evidence, layout)
    explanation = masked.explanation
    if warning.subject_name:
        explanation = explanation.replace(
            warning.subject_name, mask_person_name(warning.subject_name)
        )
    subject_id = mask_id(warning.subject_id) if warning.subject_type == "person" else None
    subject = " ".join(
        part
        for part in (
            mask_person_name(warning.subject_name) if warning.subject_name else "",
            subject_id or warning.subject_id,
        )
        if part
    )
    today = clock.local_date(actor.now)
    letter = Letter(
        kind=kind,
        title=LETTER_KINDS[kind],
        number=f"清{'督' if kind == 'supervision' else '提'}〔{today.year}〕{warning.id}号",
        issued_on=today,
        issuer=issuer.name if issuer else "",
        issued_by=actor.user.display_name or actor.user.username,
        unit=unit.name if unit else "（未分办）",
        warning_id=warning.id,
        model=model_name,
        severity=SEVERITY_ZH.get(warning.severity, warning.severity),
        state=STATE_LABELS.get(warning.status, warning.status).split(" / ")[0],
        subject=mask_text(subject),
        period=warning.period,
        amount=warning.amount,
        explanation=explanation,
        due=due,
        late_days=late,
        overdue=overdue,
        instructions=instructions or default_instructions(kind, due, late, overdue),
    )
    audit.append(
        actor.session,
        actor.user.username,
        "warning.letter",
        "warning",
        warning.id,
        {"kind": kind, "number": letter.number, "unit": letter.unit},
    )
    return letter


def render_letter(letter: Letter) -> str:
    """The letter as a standalone HTML page (its own print style sheet, no scripts)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
    )
    return env.get_template("letter.html").render(letter=letter)
