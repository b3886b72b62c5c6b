"""The warning state machine: the one place where every transition is checked and applied.

    new ──dispatch──► dispatched ──accept──► verifying ──dispose──► disposed ──feedback──► feedback
     ▲                  │  ▲ reassign          │                     │ (unfounded /            │
     │                  │  └───────────────────┤                     │  cannot verify)   follow_up
  returned ◄──return────┴──────────────────────┘                     ▼                         ▼
     └──dispatch──►                                   archived ◄──archive── follow_up ◄───────┘
                                                       └──reopen──► verifying  (also from follow_up)
    merge: new / returned / dispatched / verifying ──► merged (into the surviving warning)
    review: verifying ──submit──► submitted ──approve──► disposed
                                      └──send_back──► verifying   (待审核: the supervisor decides)
    escalate, assign, pause, resume, open_case: stay in the same state.

`TRANSITIONS` is the table (sources, target, roles, required fields); `apply` checks the role, the
current state and the action's guard, changes the warning, and writes the timeline event and the
audit row in the caller's transaction, then runs the post-transition hooks (`loop.hooks`) when the
state changed. `dispatch_many` is its bulk form for `service.bulk_dispatch` (one UPDATE … FROM for
thousands of warnings). Nothing outside this module changes a warning's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.loop import hooks
from qingfeng.loop.calendar import Clock
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from qingfeng.store.models import (
    MAX_ID,
    Case,
    Organisation,
    User,
    UTCDateTime,
    Warning,
    WarningEvent,
)
from qingfeng.store.routing import Router
from qingfeng.store.scope import can_see_warning

STATES = (
    "new",
    "dispatched",
    "verifying",
    "submitted",
    "disposed",
    "feedback",
    "follow_up",
    "archived",
    "returned",
    "merged",
)
STATE_LABELS = {
    "new": "新预警 / new",
    "dispatched": "已分办 / dispatched",
    "verifying": "核查中 / verifying",
    "submitted": "待审核 / submitted for review",
    "disposed": "已处置 / disposed",
    "feedback": "已反馈 / feedback",
    "follow_up": "跟踪中 / follow-up",
    "archived": "已归档 / archived",
    "returned": "已退回 / returned",
    "merged": "已合并 / merged",
}
# States in which a warning runs against a deadline (qingfeng.loop.config.TIMED_STAGES).
OPEN_STATES = ("dispatched", "verifying", "submitted", "disposed", "feedback", "follow_up")

FINDINGS = ("confirmed", "partly_confirmed", "unfounded", "cannot_verify")
FINDING_LABELS = {
    "confirmed": "属实 / confirmed",
    "partly_confirmed": "部分属实 / partly confirmed",
    "unfounded": "不属实 / unfounded",
    "cannot_verify": "无法核实 / cannot be verified",
}
SUBSTANTIATED = ("confirmed", "partly_confirmed")
MEASURES = (
    "case_opened",  # 立案
    "party_sanction",  # 党纪处分
    "administrative_sanction",  # 政务处分
    "funds_recovered",  # 追缴资金 (with the amount)
    "rectification_ordered",  # 责令整改
    "referred",  # 移送其他机关
)

SUPERVISE = frozenset({"supervisor", "administrator"})
HANDLE = frozenset({"supervisor", "verifier", "administrator"})
# The supervised unit (被监督单位) signs for what is dispatched to it, answers it (submit, for the
# supervisor to approve or send back) and reports its rectification; it decides nothing itself.
ANSWER = HANDLE | {"supervised_unit"}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change
    roles: frozenset[str]
    requires: tuple[str, ...]  # request fields that must be given
    label: str


def _t(
    action: str,
    sources: tuple[str, ...],
    target: str | None,
    roles: frozenset[str],
    requires: tuple[str, ...],
    label: str,
) -> Transition:
    return Transition(action, frozenset(sources), target, roles, requires, label)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("dispatch", ("new", "returned"), "dispatched", SUPERVISE, ("org_id",), "分办 dispatch"),
        _t("accept", ("dispatched",), "verifying", ANSWER, (), "签收核查 / accept and verify"),
        _t("return", ("dispatched", "verifying"), "returned", ANSWER, ("reason",), "退回 / return"),
        _t(
            "reassign",
            ("dispatched", "verifying"),
            "dispatched",
            SUPERVISE,
            ("org_id",),
            "改派 / reassign",
        ),
        _t("escalate", OPEN_STATES, None, HANDLE, ("reason",), "提级 / escalate"),
        _t("assign", OPEN_STATES, None, SUPERVISE, ("assignee_id",), "指派 / assign"),
        _t("dispose", ("verifying",), "disposed", HANDLE, ("finding",), "处置 / dispose"),
        _t("submit", ("verifying",), "submitted", ANSWER, ("note",), "报送审核 / submit"),
        _t("approve", ("submitted",), "disposed", SUPERVISE, ("finding",), "审核通过 / approve"),
        _t("send_back", ("submitted",), "verifying", SUPERVISE, ("reason",), "退回补充"),
        _t("feedback", ("disposed",), "feedback", ANSWER, ("report",), "整改反馈 / feedback"),
        _t("follow_up", ("feedback",), "follow_up", HANDLE, (), "跟踪回访 / follow up"),
        _t("archive", ("follow_up", "disposed"), "archived", HANDLE, ("note",), "归档 / archive"),
        _t("reopen", ("archived", "follow_up"), "verifying", SUPERVISE, ("reason",), "重新核查"),
        _t(
            "merge",
            ("new", "returned", "dispatched", "verifying"),
            "merged",
            SUPERVISE,
            ("target_id",),
            "合并重复 / merge duplicate",
        ),
        _t(
            "open_case",
            ("disposed", "feedback", "follow_up", "archived"),
            None,
            SUPERVISE,
            ("case_no",),
            "转立案 / open a case",
        ),
        _t("pause", OPEN_STATES, None, HANDLE, ("reason",), "暂停计时 / pause the clock"),
        _t("resume", OPEN_STATES, None, HANDLE, (), "恢复计时 / resume the clock"),
    )
}  # fmt: skip

# Roles that may read warnings at all (within their scope) and comment on them.
READ_ROLES = frozenset(
    {"administrator", "supervisor", "verifier", "leader", "model_builder", "auditor"}
    | {"supervised_unit"}
)
COMMENT_ROLES = frozenset({"administrator", "supervisor", "verifier", "leader", "supervised_unit"})


def require_read(user: User) -> None:
    if user.role not in READ_ROLES:
        raise PermissionDenied(
            f"角色 {user.role} 无权查看预警 / role {user.role} may not read warnings"
        )


RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class ActionRequest(BaseModel):
    """What a person submits with an action. Which fields are needed depends on the action."""

    version: RowId | None = Field(
        default=None, description="The version the person saw; a newer one means a conflict."
    )
    org_id: RowId | None = Field(default=None, description="dispatch / reassign / escalate: unit")
    assignee_id: RowId | None = Field(default=None, description="assign: the person")
    reason: str | None = Field(default=None, description="return / escalate / reopen / pause")
    finding: str | None = Field(default=None, description=f"dispose: one of {FINDINGS}")
    measures: list[str] = Field(default_factory=list, description=f"dispose: any of {MEASURES}")
    funds_recovered: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=18,
        decimal_places=2,
        description="dispose: yuan recovered (with measure funds_recovered)",
    )
    note: str | None = Field(default=None, description="dispose / follow_up / archive: remarks")
    report: str | None = Field(default=None, description="feedback: the rectification report")
    target_id: RowId | None = Field(default=None, description="merge: the warning to keep")
    case_no: str | None = Field(
        default=None, max_length=60, description="open_case / dispose with case_opened"
    )
    case_title: str | None = Field(
        default=None, max_length=400, description="open_case: title of the case"
    )
    instructions: str | None = Field(
        default=None, max_length=10_000, description="dispatch / reassign: written instructions"
    )
    days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="dispatch / reassign: working days for the whole verification (办理期限)",
    )


@dataclass
class Actor:
    """Who acts, when, under which rules. One per request or command."""

    session: Session
    user: User
    config: LoopConfig
    now: datetime

    @property
    def clock(self) -> Clock:
        return Clock.from_config(self.config)


def allowed_actions(warning: Warning, user: User) -> list[str]:
    """Actions the user's role may take from the warning's state (for buttons; `apply` still
    checks every guard, only the pause clock's is evaluated here)."""
    hidden = {"resume"} if not warning.paused else {"pause"}
    if warning.due_at is None:
        hidden.add("pause")
    return [
        t.action
        for t in TRANSITIONS.values()
        if warning.status in t.sources and user.role in t.roles and t.action not in hidden
    ]


def apply(actor: Actor, warning: Warning, action: str, req: ActionRequest) -> WarningEvent:
    """Check and apply one action; writes the event and the audit row (caller commits)."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise InvalidInput(f"unknown action {action!r}; known: {', '.join(TRANSITIONS)}")
    if actor.user.role not in t.roles:
        raise PermissionDenied(
            f"角色 {actor.user.role} 无权执行「{t.label}」/ role {actor.user.role} may not {action}"
        )
    if warning.status not in t.sources:
        raise TransitionNotAllowed(
            f"预警 {warning.id} 状态为「{STATE_LABELS.get(warning.status, warning.status)}」，"
            f"不能执行「{t.label}」/ cannot {action} a warning that is {warning.status}; "
            f"allowed from: {', '.join(sorted(t.sources))}"
        )
    missing = [name for name in t.requires if _blank(getattr(req, name))]
    if missing:
        raise InvalidInput(f"{action}: missing {', '.join(missing)} (warning {warning.id})")
    from_state = warning.status
    payload = _HANDLERS[action](actor, warning, req)
    if t.target is not None and t.target != from_state:
        warning.status = t.target
        warning.stage_started_at = actor.now
        if warning.paused:  # a new stage starts its own clock
            payload["clock_resumed"] = True
            warning.paused, warning.paused_at, warning.pause_reason = False, None, None
    to_state = warning.status
    if to_state != from_state:
        needs_clock = to_state in OPEN_STATES and not (
            to_state == "disposed" and warning.finding not in SUBSTANTIATED
        )  # an unfounded finding has nothing to rectify: no deadline, archive it
        warning.due_at = _due(actor, warning, to_state) if needs_clock else None
    if warning.due_at is not None:
        payload.setdefault("due_at", warning.due_at.isoformat())
    event = WarningEvent(
        warning_id=warning.id,
        at=actor.now,
        actor_id=actor.user.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        payload=audit.log.normalise_detail(payload),
    )
    actor.session.add(event)
    audit.append(
        actor.session,
        actor.user.username,
        f"warning.{action}",
        "warning",
        warning.id,
        {"from": from_state, "to": to_state, **payload},
    )
    if to_state != from_state:  # e.g. a complaint's reply goes public when it is disposed
        actor.session.flush()
        hooks.after_status_change(actor.session, [warning.id], actor.user.username)
    return event


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _due(actor: Actor, warning: Warning, stage: str) -> datetime:
    requested = warning.requested_due_at
    if stage == "verifying" and requested is not None and requested > actor.now:
        return requested  # the dispatcher's deadline, while it lasts
    if stage == "verifying":  # the model may declare its own time to verify
        return actor.clock.due(
            actor.now, actor.config.verify_days(warning.model_id, warning.severity)
        )
    days = actor.config.deadlines[stage].get(warning.severity)
    if days is None:
        raise InvalidInput(f"warning {warning.id}: no deadline for severity {warning.severity!r}")
    return actor.clock.due(actor.now, days)


def _unit(actor: Actor, org_id: int, *, within_actor: bool = True) -> Organisation:
    org = actor.session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput(f"organisation {org_id} does not exist")
    if within_actor:
        home = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
        if home is None or not org.path.startswith(home.path):
            raise PermissionDenied(
                f"单位 {org.name} 不在您的管辖范围 / unit {org_id} is outside your organisation"
            )
    return org


# --- handlers: validate the request for this action and change the warning. Return the payload.


def _dispatch(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    assert req.org_id is not None
    org = _unit(actor, req.org_id)
    w.org_id = org.id
    w.dispatched_at = actor.now
    w.return_reason = None
    w.assignee_id = None
    return {"org_id": org.id, "org": org.name, **_dispatch_terms(actor, w, req)}


def _dispatch_terms(
    actor: Actor, w: Warning, req: ActionRequest, *, keep: bool = False
) -> dict[str, Any]:
    """The deadline and instructions that come with a dispatch (both optional). `keep`: a
    reassignment without a new deadline keeps the one set at dispatch."""
    payload: dict[str, Any] = {}
    if req.days or not keep:
        w.requested_due_at = actor.clock.due(actor.now, req.days) if req.days else None
    if req.days:
        payload["days"] = req.days
        payload["requested_due_at"] = w.requested_due_at
    if not _blank(req.instructions):
        payload["instructions"] = (req.instructions or "").strip()
    return payload


def _accept(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if w.assignee_id is None and actor.user.role == "verifier":
        w.assignee_id = actor.user.id  # the verifier who signs for it takes it on
    return {}


def _return(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    payload = {"reason": req.reason, "from_org_id": w.org_id}
    w.return_reason = req.reason
    # Back with its responsible unit (routing), to be dispatched again: never without an owner.
    # (no autoflush: the warning is written once, with one version bump)
    with actor.session.no_autoflush:
        w.org_id = Router.for_store(actor.session).unit(w.division_code)
    w.assignee_id = None
    return payload


def _reassign(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    assert req.org_id is not None
    if req.org_id == w.org_id:
        raise InvalidInput(f"warning {w.id} is already with organisation {req.org_id}")
    org = _unit(actor, req.org_id)
    payload = {"from_org_id": w.org_id, "org_id": org.id, "org": org.name, "reason": req.reason}
    payload.update(_dispatch_terms(actor, w, req, keep=True))
    w.org_id = org.id
    w.assignee_id = None
    w.dispatched_at = actor.now
    w.due_at = _due(actor, w, "dispatched")  # the new unit gets the full time to sign for it
    return payload


def _escalate(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    current = actor.session.get(Organisation, w.org_id) if w.org_id else None
    if current is None:
        raise InvalidInput(f"warning {w.id} has no organisation to escalate from")
    if req.org_id is not None:
        target = _unit(actor, req.org_id, within_actor=False)
        if not (current.path.startswith(target.path) and target.id != current.id):
            raise InvalidInput(f"organisation {req.org_id} is not above {current.name}")
    else:
        if current.parent_id is None:
            raise InvalidInput(f"{current.name} has no higher unit to escalate to")
        target = actor.session.get_one(Organisation, current.parent_id)
    w.org_id = target.id
    w.escalation_level = (w.escalation_level or 0) + 1
    w.assignee_id = None
    return {
        "from_org_id": current.id,
        "org_id": target.id,
        "org": target.name,
        "reason": req.reason,
    }


def _assign(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    assert req.assignee_id is not None
    person = actor.session.get(User, req.assignee_id)
    if person is None or not person.active:
        raise InvalidInput(f"user {req.assignee_id} does not exist or is inactive")
    if person.role not in ("supervisor", "verifier"):
        raise InvalidInput(f"user {person.username} ({person.role}) cannot handle warnings")
    if person.id == w.assignee_id:
        raise InvalidInput(f"warning {w.id} is already assigned to {person.username}")
    if can_see_warning(actor.session, person, w.id) is None:
        raise InvalidInput(f"user {person.username} cannot see warning {w.id} (outside their unit)")
    w.assignee_id = person.id
    return {"assignee_id": person.id, "assignee": person.username}


def _dispose(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if req.finding not in FINDINGS:
        raise InvalidInput(f"finding {req.finding!r} is not one of {', '.join(FINDINGS)}")
    unknown = [m for m in req.measures if m not in MEASURES]
    if unknown:
        raise InvalidInput(f"unknown measures {unknown}; known: {', '.join(MEASURES)}")
    measures = list(dict.fromkeys(req.measures))
    if req.finding not in SUBSTANTIATED and measures:
        raise InvalidInput(f"finding {req.finding} takes no measures (got {', '.join(measures)})")
    if "funds_recovered" in measures:
        if req.funds_recovered is None or req.funds_recovered <= 0:
            raise InvalidInput("measure funds_recovered needs funds_recovered > 0 (yuan)")
    elif req.funds_recovered is not None:
        raise InvalidInput("funds_recovered given without the measure funds_recovered")
    if "case_opened" in measures and w.case_id is None:
        if _blank(req.case_no):
            raise InvalidInput("measure case_opened needs case_no")
        _open_case_record(actor, w, req)
    w.finding = req.finding
    w.finding_note = req.note
    w.measures = measures
    w.funds_recovered = (
        req.funds_recovered.quantize(Decimal("0.01")) if req.funds_recovered else None
    )
    w.disposed_at = actor.now
    return {
        "finding": req.finding,
        "measures": measures,
        "funds_recovered": w.funds_recovered,
        "note": req.note,
        "case_id": w.case_id,
    }


def _submit(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if req.finding is not None and req.finding not in FINDINGS:
        raise InvalidInput(f"finding {req.finding!r} is not one of {', '.join(FINDINGS)}")
    submission = {
        "by": actor.user.id,
        "role": actor.user.role,
        "at": actor.now.isoformat(),
        "note": (req.note or "").strip(),
        "finding": req.finding,
        "plan": (req.report or "").strip() or None,
    }
    w.submission = submission
    return {k: v for k, v in submission.items() if k in ("note", "finding", "plan") and v}


def _approve(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    payload = _dispose(actor, w, req)
    plan = (w.submission or {}).get("plan")
    if plan and not w.rectification_report:
        payload["plan"] = plan
    w.submission = None
    return payload


def _send_back(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    w.submission = None
    return {"reason": req.reason}


def _feedback(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if w.finding not in SUBSTANTIATED:
        raise TransitionNotAllowed(
            f"预警 {w.id} 核查结论为{FINDING_LABELS.get(w.finding or '', w.finding)}，"
            f"无需整改反馈，请直接归档 / warning {w.id} was {w.finding}: "
            "archive it, no rectification to report"
        )
    w.rectification_report = req.report
    return {"report": req.report}


def _follow_up(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    return {"note": req.note} if req.note else {}


def _archive(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if w.status == "disposed" and w.finding in SUBSTANTIATED:
        raise TransitionNotAllowed(
            f"预警 {w.id} 核查属实，须经整改反馈和跟踪后归档 / warning {w.id} was {w.finding}: "
            "it needs feedback and follow-up before it is archived"
        )
    if w.status == "follow_up":
        w.follow_up_note = req.note
    w.archived_at = actor.now
    return {"note": req.note}


def _reopen(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    payload = {"reason": req.reason, "previous_finding": w.finding}
    # The verification is in doubt, so the finding goes; money recovered and cases stay facts.
    w.finding = None
    w.archived_at = None
    return payload


def _merge(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    assert req.target_id is not None
    if req.target_id == w.id:
        raise InvalidInput(f"warning {w.id} cannot be merged into itself")
    target = can_see_warning(actor.session, actor.user, req.target_id)
    if target is None:
        raise InvalidInput(f"warning {req.target_id} does not exist or is outside your scope")
    if target.status == "merged":
        raise InvalidInput(
            f"warning {target.id} is itself merged into {target.merged_into_id}; merge into that"
        )
    w.merged_into_id = target.id
    w.assignee_id = None
    return {"target_id": target.id}


def _open_case(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if w.finding not in SUBSTANTIATED:
        raise TransitionNotAllowed(
            f"预警 {w.id} 核查结论不属实或无法核实，不能转立案 / warning {w.id} is {w.finding}: "
            "only a confirmed or partly confirmed lead becomes a case"
        )
    if w.case_id is not None:
        raise TransitionNotAllowed(f"warning {w.id} is already case {w.case_id}")
    case = _open_case_record(actor, w, req)
    w.measures = [*(w.measures or []), "case_opened"]
    return {"case_id": case.id, "case_no": case.case_no}


def _open_case_record(actor: Actor, w: Warning, req: ActionRequest) -> Case:
    assert req.case_no is not None
    case_no = req.case_no.strip()
    if actor.session.scalar(select(Case.id).where(Case.case_no == case_no)) is not None:
        raise InvalidInput(f"case number {case_no} is already used")
    case = Case(
        case_no=case_no,
        title=(req.case_title or w.explanation)[:400],
        org_id=w.org_id,
        opened_by_id=actor.user.id,
        opened_at=actor.now,
    )
    actor.session.add(case)
    actor.session.flush()
    w.case_id = case.id
    return case


def _pause(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if w.paused:
        raise TransitionNotAllowed(
            f"warning {w.id}: the clock is already paused ({w.pause_reason})"
        )
    if w.due_at is None:
        raise TransitionNotAllowed(f"warning {w.id} has no deadline to pause")
    w.paused, w.paused_at, w.pause_reason = True, actor.now, req.reason
    return {"reason": req.reason}


def _resume(actor: Actor, w: Warning, req: ActionRequest) -> dict[str, Any]:
    if not w.paused or w.paused_at is None or w.due_at is None:
        raise TransitionNotAllowed(f"warning {w.id}: the clock is not paused")
    old_due = w.due_at
    w.due_at = actor.clock.extend(w.due_at, w.paused_at, actor.now)
    payload = {"paused_at": w.paused_at, "reason": w.pause_reason, "previous_due_at": old_due}
    w.paused, w.paused_at, w.pause_reason = False, None, None
    return payload


_HANDLERS: dict[str, Callable[[Actor, Warning, ActionRequest], dict[str, Any]]] = {
    "dispatch": _dispatch,
    "accept": _accept,
    "return": _return,
    "reassign": _reassign,
    "escalate": _escalate,
    "assign": _assign,
    "dispose": _dispose,
    "submit": _submit,
    "approve": _approve,
    "send_back": _send_back,
    "feedback": _feedback,
    "follow_up": _follow_up,
    "archive": _archive,
    "reopen": _reopen,
    "merge": _merge,
    "open_case": _open_case,
    "pause": _pause,
    "resume": _resume,
}
assert set(_HANDLERS) == set(TRANSITIONS), "every transition needs a handler"


# --- bulk dispatch: the one other place a warning's status is written --------------------------


def _dispatch_tables() -> tuple[Table, Table]:
    meta = MetaData()
    staged = Table(
        "dispatch_tmp",
        meta,
        Column("id", Integer, primary_key=True),
        Column("version", Integer),
        Column("from_state", String(20)),
        Column("combo", Integer),
        prefixes=["TEMPORARY"],
    )
    combos = Table(
        "dispatch_tmp_combo",
        meta,
        Column("combo", Integer, primary_key=True),
        Column("org_id", Integer),
        Column("due_at", UTCDateTime),
        Column("requested_due_at", UTCDateTime),
        Column("payload", JSON),
        prefixes=["TEMPORARY"],
    )
    return staged, combos


def dispatch_many(
    conn: Connection,
    staged_rows: list[dict[str, Any]],
    combo_rows: list[dict[str, Any]],
    now: datetime,
    actor_id: int,
) -> int:
    """The bulk form of `apply(..., "dispatch", ...)` for `service.bulk_dispatch`, which has
    checked each warning, its target and terms as `apply` would, and writes the audit rows and
    runs the hooks. Stage the warnings (id, the version read, state) and their combinations in
    temporary tables, then one UPDATE … FROM (each row only if its version is still the one
    read) and one INSERT … SELECT of their timeline entries. Returns how many warnings were
    updated."""
    w = Warning.__table__
    events = WarningEvent.__table__  # type: ignore[attr-defined]
    staged, combos = _dispatch_tables()
    for table in (staged, combos):
        table.drop(conn, checkfirst=True)
        table.create(conn)
    try:
        conn.execute(combos.insert(), combo_rows)
        conn.execute(staged.insert(), staged_rows)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE dispatch_tmp"))  # else taken for empty (risk.py)
        source = (
            select(
                staged.c.id,
                staged.c.version,
                combos.c.org_id,
                combos.c.due_at,
                combos.c.requested_due_at,
            )
            .join(combos, combos.c.combo == staged.c.combo)
            .subquery("d")
        )
        changed = conn.execute(
            update(w)
            .where(w.c.id == source.c.id, w.c.version == source.c.version)
            .values(
                status="dispatched",
                org_id=source.c.org_id,
                due_at=source.c.due_at,
                dispatched_at=now,
                stage_started_at=now,
                updated_at=now,
                assignee_id=None,
                return_reason=None,
                requested_due_at=source.c.requested_due_at,
                version=w.c.version + 1,
            )
        ).rowcount
        conn.execute(
            events.insert().from_select(
                ["warning_id", "at", "actor_id", "action", "from_state", "to_state", "payload"],
                select(
                    staged.c.id,
                    bindparam("at", now, type_=UTCDateTime),
                    bindparam("actor", actor_id, type_=Integer),
                    literal("dispatch"),
                    staged.c.from_state,
                    literal("dispatched"),
                    combos.c.payload,
                )
                .join(combos, combos.c.combo == staged.c.combo)
                .order_by(staged.c.id),
            )
        )
        return int(changed or 0)
    finally:
        for table in (staged, combos):
            table.drop(conn, checkfirst=True)
