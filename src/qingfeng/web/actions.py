"""The action forms of a warning's detail page, built from the closed loop's transition table.

Which actions a user sees comes from `qingfeng.loop.machine.allowed_actions`; what each form
asks for comes from the transition's required fields. Submitted forms become an ActionRequest
and go through `qingfeng.loop.service.act`, which checks role, state, scope and version again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.loop.config import LoopConfig
from qingfeng.loop.errors import InvalidInput
from qingfeng.loop.machine import FINDINGS, MEASURES, TRANSITIONS, ActionRequest, allowed_actions
from qingfeng.store.models import Organisation, User, Warning
from qingfeng.store.scope import subtree_ids


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # select | multi | number | text | textarea
    label: str  # message key
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label or key)
    value: str = ""  # prefilled (the routed unit, the model's deadline, the proposed finding)


@dataclass(frozen=True)
class ActionForm:
    name: str
    fields: list[FormField]


def unit_options(s: Session, user: User) -> list[tuple[str, str]]:
    """(id, name) of the units of the user's subtree, for choosing where work goes."""
    return _units(s, user)


def _units(s: Session, user: User) -> list[tuple[str, str]]:
    if user.org_id is None:
        return []
    home = s.get(Organisation, user.org_id)
    if home is None:
        return []
    ids = subtree_ids(s, home)
    rows = s.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(ids))
        .order_by(Organisation.path)
    )
    return [(str(i), name) for i, name in rows]


def _handlers(s: Session, user: User) -> list[tuple[str, str]]:
    if user.org_id is None:
        return []
    home = s.get(Organisation, user.org_id)
    if home is None:
        return []
    rows = s.execute(
        select(User.id, User.display_name, User.username)
        .where(
            User.org_id.in_(subtree_ids(s, home)),
            User.role.in_(("supervisor", "verifier")),
            User.active.is_(True),
        )
        .order_by(User.username)
    )
    return [(str(i), display or name) for i, display, name in rows]


def routed_unit(s: Session, warning: Warning, user: User) -> Organisation | None:
    """The deepest unit of the user's subtree whose area contains the warning's division code
    (the unit its route names), if any."""
    from qingfeng.loop.service import route_by_division

    home = s.get(Organisation, user.org_id) if user.org_id else None
    code = warning.division_code or ""
    if home is None or not code:
        return None
    for prefix, org_id in route_by_division(s, home):
        if code.startswith(prefix):
            return s.get(Organisation, org_id)
    return None


def _finding_fields(value: str = "") -> list[FormField]:
    return [
        FormField(
            "finding",
            "select",
            "form.finding",
            True,
            [(f, f"finding.{f}") for f in FINDINGS],
            value,
        ),
        FormField(
            "measures", "multi", "form.measures", False, [(m, f"measure.{m}") for m in MEASURES]
        ),
        FormField("funds_recovered", "number", "form.funds_recovered"),
        FormField("case_no", "text", "form.case_no"),
        FormField("note", "textarea", "form.note"),
    ]


def forms_for(
    s: Session, warning: Warning, user: User, config: LoopConfig | None = None
) -> list[ActionForm]:
    """One form per action this user may take on this warning now, each taking attachments."""
    config = config or LoopConfig()
    forms = []
    for action in allowed_actions(warning, user):
        # The loop checks these guards again; offering only what can succeed keeps the panel short.
        if action == "pause" and (warning.paused or warning.due_at is None):
            continue
        if action == "resume" and not warning.paused:
            continue
        fields: list[FormField] = []
        if action == "submit":
            fields = _submit_fields()
        elif action == "approve":
            proposed = (warning.submission or {}).get("finding") or ""
            fields = _finding_fields(proposed)
        for req in () if action in ("submit", "approve") else TRANSITIONS[action].requires:
            if req == "org_id":
                routed = routed_unit(s, warning, user) if action == "dispatch" else None
                fields.append(
                    FormField(
                        "org_id",
                        "select",
                        "form.org",
                        True,
                        _units(s, user),
                        str(routed.id) if routed else "",
                    )
                )
                days = config.verify_days(warning.model_id, warning.severity)
                fields.append(FormField("days", "days", "form.days", False, [], str(days)))
                fields.append(FormField("instructions", "textarea", "form.instructions"))
            elif req == "assignee_id":
                fields.append(
                    FormField("assignee_id", "select", "form.assignee", True, _handlers(s, user))
                )
            elif req == "finding":
                fields.extend(_finding_fields())
            elif req == "target_id":
                fields.append(FormField("target_id", "number", "form.target_id", True))
            elif req == "case_no":
                fields.append(FormField("case_no", "text", "form.case_no", True))
                fields.append(FormField("case_title", "text", "form.case_title"))
            elif req == "report":
                fields.append(FormField("report", "textarea", "form.report", True))
            elif req in ("reason", "note"):
                fields.append(FormField(req, "textarea", f"form.{req}", True))
        if action in ("follow_up",):
            fields.append(FormField("note", "textarea", "form.note"))
        fields.append(FormField("files", "file", "form.files"))
        forms.append(ActionForm(action, fields))
    return forms


def _submit_fields() -> list[FormField]:
    """The findings a verifier or the supervised unit submits for review."""
    return [
        FormField("note", "textarea", "form.statement", True),
        FormField(
            "finding",
            "select",
            "form.proposed_finding",
            False,
            [(f, f"finding.{f}") for f in FINDINGS],
        ),
        FormField("report", "textarea", "form.plan"),
    ]


_INT_FIELDS = ("org_id", "assignee_id", "target_id", "version", "days")
_TEXT_FIELDS = ("reason", "finding", "note", "report", "case_no", "case_title", "instructions")


def request_from_form(form: Any) -> ActionRequest:
    """An ActionRequest from submitted form fields; a malformed value names its field."""
    data: dict[str, Any] = {}
    for name in _INT_FIELDS:
        raw = (form.get(name) or "").strip()
        if raw:
            if not raw.isdigit():
                raise InvalidInput(f"{name}: {raw!r} is not a whole number")
            data[name] = int(raw)
    for name in _TEXT_FIELDS:
        raw = (form.get(name) or "").strip()
        if raw:
            if len(raw) > 10_000:
                raise InvalidInput(f"{name}: longer than 10,000 characters")
            data[name] = raw
    measures = [m for m in form.getlist("measures") if m]
    if measures:
        data["measures"] = measures
    raw_funds = (form.get("funds_recovered") or "").strip()
    if raw_funds:
        try:
            data["funds_recovered"] = Decimal(raw_funds)
        except InvalidOperation:
            raise InvalidInput(f"funds_recovered: {raw_funds!r} is not an amount") from None
    try:
        return ActionRequest(**data)
    except ValidationError as exc:  # e.g. days outside 1–365: name the field
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}") from None
