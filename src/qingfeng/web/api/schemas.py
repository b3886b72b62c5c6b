"""Response shapes of the API (separate from the ORM so internal columns never leak)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from qingfeng.loop.machine import RowId
from qingfeng.masking import mask_evidence, mask_id, mask_name, mask_text
from qingfeng.store.models import Warning


class WarningSummary(BaseModel):
    id: int
    model_id: str
    subject_type: str
    subject_id: str | None = Field(description="Masked unless revealed (audited).")
    subject_name: str | None
    period: str
    severity: str
    amount: Decimal | None
    division_code: str | None
    status: str
    org_id: int | None
    assignee_id: int | None
    due_at: datetime | None
    paused: bool
    overdue: bool
    created_at: datetime
    version: int
    risk_score: float = Field(description="0–100, the sum of risk_parts (qingfeng.loop.risk)")


class WarningDetail(WarningSummary):
    model_version: str
    explanation: str
    evidence: dict[str, Any]
    present: bool
    dispatched_at: datetime | None
    pause_reason: str | None
    escalation_level: int
    return_reason: str | None
    finding: str | None
    finding_note: str | None
    measures: list[str]
    funds_recovered: Decimal | None
    rectification_report: str | None
    follow_up_note: str | None
    merged_into_id: int | None
    case_id: int | None
    archived_at: datetime | None
    revealed: bool
    allowed_actions: list[str]
    risk_parts: dict[str, Any] | None = Field(
        default=None, description="The risk score's parts: points and what each counted"
    )
    requested_due_at: datetime | None = None
    submission: dict[str, Any] | None = Field(
        default=None, description="Findings submitted for review (state submitted)"
    )


def _personal(w: Warning, revealed: bool) -> dict[str, Any]:
    if revealed:
        return {"subject_id": w.subject_id, "subject_name": w.subject_name}
    return {"subject_id": mask_id(w.subject_id), "subject_name": mask_name(w.subject_name)}


def summary(w: Warning, now: datetime) -> WarningSummary:
    return WarningSummary(
        id=w.id,
        model_id=w.model_id,
        subject_type=w.subject_type,
        period=w.period,
        severity=w.severity,
        amount=w.amount,
        division_code=w.division_code,
        status=w.status,
        org_id=w.org_id,
        assignee_id=w.assignee_id,
        due_at=w.due_at,
        paused=bool(w.paused),
        overdue=bool(w.due_at and not w.paused and w.due_at < now),
        created_at=w.created_at,
        version=w.version,
        risk_score=w.risk_score or 0.0,
        **_personal(w, False),
    )


def detail(w: Warning, now: datetime, *, revealed: bool, allowed: list[str]) -> WarningDetail:
    base = summary(w, now).model_dump()
    base.update(_personal(w, revealed))
    explanation = w.explanation
    evidence = w.evidence or {}
    if not revealed:
        explanation = mask_text(explanation)
        if w.subject_name:
            explanation = explanation.replace(w.subject_name, mask_name(w.subject_name) or "")
        evidence = mask_evidence(evidence)
    return WarningDetail(
        **base,
        model_version=w.model_version,
        explanation=explanation,
        evidence=evidence,
        present=w.present,
        dispatched_at=w.dispatched_at,
        pause_reason=w.pause_reason,
        escalation_level=w.escalation_level or 0,
        return_reason=w.return_reason,
        finding=w.finding,
        finding_note=w.finding_note,
        measures=list(w.measures or []),
        funds_recovered=w.funds_recovered,
        rectification_report=w.rectification_report,
        follow_up_note=w.follow_up_note,
        merged_into_id=w.merged_into_id,
        case_id=w.case_id,
        archived_at=w.archived_at,
        revealed=revealed,
        allowed_actions=allowed,
        risk_parts=w.risk_parts,
        requested_due_at=w.requested_due_at,
        submission=_submission(w.submission, revealed),
    )


def _submission(value: dict[str, Any] | None, revealed: bool) -> dict[str, Any] | None:
    """The submitted findings, ID numbers in their text masked unless revealed."""
    if not value or revealed:
        return value
    return {k: mask_text(v) if isinstance(v, str) else v for k, v in value.items()}


class WarningPage(BaseModel):
    items: list[WarningSummary]
    limit: int
    offset: int
    has_more: bool
    total: int | None = None


class EventOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any]


class LineOut(BaseModel):
    """One evidence line of a lead (masked: the sentence's IDs and the subject's name)."""

    period: str
    severity: str
    amount: Decimal | None
    explanation: str
    present: bool


class MergeRelatedOut(BaseModel):
    merged: list[int]


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=10_000)


class CommentOut(BaseModel):
    id: int
    at: datetime
    author_id: int | None
    body: str


class AttachmentOut(BaseModel):
    id: int
    at: datetime
    uploader_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str


class BulkDispatchIn(BaseModel):
    ids: list[RowId] = Field(min_length=1, max_length=100_000)
    org_id: RowId | None = Field(
        default=None, description="Target unit; omitted: route each by its division code."
    )
    days: int | None = Field(
        default=None, ge=1, le=365, description="Working days for the whole verification"
    )
    instructions: str | None = Field(
        default=None, max_length=10_000, description="Written instructions, on every timeline"
    )


class BulkDispatchOut(BaseModel):
    dispatched: int
    by_org: dict[int, int]


class OutcomeOut(BaseModel):
    model_id: str
    warnings: int
    verified: int
    confirmed: int
    precision: float | None
    funds_recovered: Decimal
    cases_opened: int
    flagged: bool
    review_note: str


class SavedFilterIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    query: dict[str, Any]


class SavedFilterOut(BaseModel):
    id: int
    name: str
    query: dict[str, Any]


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: str
    division_code: str | None
    parent_id: int | None


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    org: OrganisationOut | None


class TransitionOut(BaseModel):
    action: str
    label: str
    sources: list[str]
    target: str | None
    roles: list[str]
    requires: list[str]
