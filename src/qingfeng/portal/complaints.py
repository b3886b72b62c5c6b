"""Complaints (投诉举报): filed by citizens, followed with a tracking code, handled in the back
office as warnings of their own kind (model_id "complaint") inside the closed loop.

Only the SHA-256 of the tracking code is stored: the code itself is shown once to the citizen.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.hits import fingerprint
from qingfeng.portal.attachments import StoredAttachment, Upload, check_upload, store_upload
from qingfeng.portal.errors import NotFound, PortalError
from qingfeng.portal.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintReply,
    PortalDivision,
)
from qingfeng.store.models import Warning, utcnow
from qingfeng.store.routing import Router

COMPLAINT_MODEL_ID = "complaint"
COMPLAINT_MODEL_VERSION = "1"

CATEGORIES: dict[str, str] = {
    "livelihood_funds": "民生资金",
    "village_assets": "农村集体“三资”",
    "procurement": "工程项目与招投标",
    "conduct": "作风问题（四风）",
    "school_meals": "校园餐",
    "other": "其他",
}

# Warning statuses from which the case counts as disposed (处置) and its reply may go public.
# They follow the loop's state machine: dispatch → verify → dispose → feedback → follow-up.
DISPOSED_STATUSES = frozenset(
    {"disposed", "feedback", "fed_back", "follow_up", "followed_up", "archived", "closed"}
)
PUBLIC_STATUS = {
    "received": "已受理，等待分办",
    "in_progress": "正在核查办理",
    "replied": "已办结，答复如下",
}

# Audit actor when no person is named (the loop passes the acting user's name).
SYSTEM_ACTOR = "system"
# The loop refuses to merge into a merged warning, but a survivor may be merged later itself.
_MAX_MERGE_DEPTH = 10

# Tracking codes: 20 symbols from a 32-letter alphabet without look-alikes (0/O, 1/I) = 100 bits.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_LEN = 20
_PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class ComplaintForm:
    division_code: str
    category: str
    title: str
    content: str
    target_name: str = ""
    target_org: str = ""
    anonymous: bool = True
    complainant_name: str = ""
    complainant_phone: str = ""


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LEN, 4))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code).upper()


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


def looks_like_code(code: str) -> bool:
    c = normalise_code(code)
    return len(c) == _CODE_LEN and all(ch in _ALPHABET for ch in c)


def validate_form(session: Session, form: ComplaintForm) -> list[tuple[str, str]]:
    """Every problem with the form as (field, message)."""
    problems: list[tuple[str, str]] = []
    if session.get(PortalDivision, form.division_code) is None:
        problems.append(("division_code", "请选择所在镇（街道）或村（社区）"))
    if form.category not in CATEGORIES:
        problems.append(("category", "请选择问题类别"))
    if not 2 <= len(form.title.strip()) <= 100:
        problems.append(("title", "标题须为2至100字"))
    if not 10 <= len(form.content.strip()) <= 5000:
        problems.append(("content", "反映内容须为10至5000字"))
    if len(form.target_name) > 100:
        problems.append(("target_name", "被反映人姓名不超过100字"))
    if len(form.target_org) > 200:
        problems.append(("target_org", "被反映单位不超过200字"))
    if not form.anonymous:
        if not 1 <= len(form.complainant_name.strip()) <= 50:
            problems.append(("complainant_name", "实名反映请填写姓名（不超过50字）"))
        if not _PHONE_RE.match(form.complainant_phone.strip()):
            problems.append(("complainant_phone", "实名反映请填写有效的手机号或座机号"))
    return problems


def file_complaint(
    session: Session,
    form: ComplaintForm,
    uploads: list[Upload],
    attachments_dir: Path,
    *,
    max_attachments: int = 3,
    max_attachment_bytes: int = 5 * 1024 * 1024,
    now: datetime | None = None,
) -> tuple[Complaint, str]:
    """Record a complaint and its warning in the caller's transaction; return it and the code."""
    problems = validate_form(session, form)
    if len(uploads) > max_attachments:
        problems.append(("attachments", f"附件最多 {max_attachments} 个"))
    if problems:
        raise PortalError("；".join(m for _, m in problems), field=problems[0][0])
    types = [check_upload(u, max_attachment_bytes) for u in uploads]
    stored: list[StoredAttachment] = [
        store_upload(u, t, attachments_dir) for u, t in zip(uploads, types, strict=True)
    ]
    now = now or utcnow()
    code = new_tracking_code()
    complaint_no = f"TS{now:%Y%m%d}{secrets.token_hex(4).upper()}"
    named = not form.anonymous
    complaint = Complaint(
        complaint_no=complaint_no,
        tracking_hash=hash_code(code),
        anonymous=form.anonymous,
        complainant_name=form.complainant_name.strip() if named else None,
        complainant_phone=form.complainant_phone.strip() if named else None,
        division_code=form.division_code,
        category=form.category,
        target_name=form.target_name.strip(),
        target_org=form.target_org.strip(),
        title=form.title.strip(),
        content=form.content.strip(),
        status="received",
        created_at=now,
        created_month=f"{now:%Y-%m}",
    )
    complaint.attachments = [ComplaintAttachment(**asdict(s)) for s in stored]
    session.add(complaint)
    session.flush()
    complaint.warning_id = _create_warning(session, complaint).id
    session.flush()
    return complaint, code


def complaint_evidence(c: Complaint) -> dict[str, Any]:
    """The complaint as the warning's evidence. Without the complainant's name and phone: the
    warning is shown to everyone who handles it, while contact data is read only through the
    audited staff view (`portal.staff.view_complaint`, `complaint_record`)."""
    return {
        "complaint_no": c.complaint_no,
        "received_at": c.created_at.isoformat(),
        "anonymous": c.anonymous,
        "division_code": c.division_code,
        "category": c.category,
        "category_label": CATEGORIES.get(c.category, c.category),
        "target_name": c.target_name,
        "target_org": c.target_org,
        "title": c.title,
        "content": c.content,
        "attachments": [
            {"sha256": a.sha256, "name": a.original_name, "type": a.content_type, "size": a.size}
            for a in c.attachments
        ],
    }


def complaint_record(c: Complaint) -> dict[str, Any]:
    """Everything about a complaint, contact data included (callers audit the read)."""
    return {
        **complaint_evidence(c),
        "complainant_name": c.complainant_name,
        "complainant_phone": c.complainant_phone,
    }


def _create_warning(session: Session, c: Complaint) -> Warning:
    target = "、".join(x for x in (c.target_org, c.target_name) if x) or "未指明对象"
    summary = c.content if len(c.content) <= 80 else c.content[:80] + "…"
    router = Router.for_store(session)  # an owner from the start, as for a model's warnings
    area = router.area(c.division_code)
    warning = Warning(
        fingerprint=fingerprint(COMPLAINT_MODEL_ID, "complaint", c.complaint_no, c.created_month),
        model_id=COMPLAINT_MODEL_ID,
        model_version=COMPLAINT_MODEL_VERSION,
        subject_type="complaint",
        subject_id=c.complaint_no,
        subject_name=c.title[:200],
        period=c.created_month,
        severity="yellow",
        amount=None,
        division_code=area,
        org_id=router.unit(area),
        explanation=(
            f"群众投诉举报（{CATEGORIES.get(c.category, c.category)}）："
            f"反映{target}——{c.title}。{summary}"
        ),
        evidence=complaint_evidence(c),
        status="new",
        present=True,
    )
    session.add(warning)
    session.flush()
    return warning


def find_by_code(session: Session, code: str) -> Complaint | None:
    if not looks_like_code(code):
        return None
    return session.scalars(
        select(Complaint).where(Complaint.tracking_hash == hash_code(code))
    ).one_or_none()


def get_complaint(session: Session, complaint_no: str) -> Complaint:
    c = session.scalars(
        select(Complaint).where(Complaint.complaint_no == complaint_no)
    ).one_or_none()
    if c is None:
        raise NotFound(f"投诉 {complaint_no} 不存在")
    return c


def public_status(session: Session, c: Complaint) -> str:
    """received | in_progress | replied, as the citizen sees it."""
    if c.status == "replied":
        return "replied"
    warning = _effective_warning(
        session, session.get(Warning, c.warning_id) if c.warning_id else None
    )
    if warning is None or warning.status == "new":
        return "received"
    return "in_progress"


def set_reply_draft(
    session: Session, complaint_no: str, text: str, actor: str = SYSTEM_ACTOR
) -> Complaint:
    """Staff write the public reply; it goes out when the case is disposed (or now if it is)."""
    text = text.strip()
    if not 5 <= len(text) <= 5000:
        raise PortalError("答复内容须为5至5000字", field="reply")
    c = get_complaint(session, complaint_no)
    c.reply_draft = text
    session.flush()
    audit.append(session, actor, "complaint.reply_draft", "complaint", c.complaint_no, {})
    if c.warning_id is not None:  # this complaint and any duplicate merged into its warning
        on_warnings_status_changed(session, [c.warning_id], actor)
    return c


def _effective_warning(session: Session, warning: Warning | None) -> Warning | None:
    """The warning that carries the case: a complaint's warning merged into another (duplicate
    complaints) follows the surviving one, along a chain of merges."""
    seen = 0
    while warning is not None and warning.merged_into_id and seen < _MAX_MERGE_DEPTH:
        warning = session.get(Warning, warning.merged_into_id)
        seen += 1
    return warning


def _reply_body(session: Session, complaint: Complaint, carrier: Warning) -> str:
    """The complaint's own reply, or — for a duplicate merged into another complaint's warning
    and given no reply of its own — the reply written on the surviving complaint."""
    body = (complaint.reply_draft or "").strip()
    if body or carrier.id == complaint.warning_id or carrier.model_id != COMPLAINT_MODEL_ID:
        return body
    survivor = session.scalars(
        select(Complaint).where(Complaint.warning_id == carrier.id)
    ).one_or_none()
    return (survivor.reply_draft or "").strip() if survivor is not None else ""


def publish_reply_if_disposed(
    session: Session, complaint: Complaint, actor: str = SYSTEM_ACTOR
) -> ComplaintReply | None:
    """Keep the tracking page in step with the case: publish the staff's reply once the
    complaint's warning (or the warning it was merged into) is disposed; take the reply off the
    page again if the case is reopened. A reply already published is not repeated unless its text
    changed (a corrected reply is appended; the page shows the latest). Publishing and taking off
    are audited (`complaint.reply_publish`, `complaint.reply_withdraw`) in the caller's
    transaction."""
    if complaint.warning_id is None:
        return None
    warning = _effective_warning(session, session.get(Warning, complaint.warning_id))
    if warning is None:
        return None
    if warning.status not in DISPOSED_STATUSES:
        if complaint.status == "replied":  # reopened: back to "in progress" until disposed again
            complaint.status = "received"
            audit.append(
                session,
                actor,
                "complaint.reply_withdraw",
                "complaint",
                complaint.complaint_no,
                {"warning_id": warning.id, "warning_status": warning.status},
            )
        return None
    body = _reply_body(session, complaint, warning)
    if not body:
        return None
    was_public = complaint.status == "replied"
    complaint.status = "replied"
    if complaint.replies and complaint.replies[-1].body == body:
        if not was_public:  # the same reply goes back on the page after a reopened case
            _audit_publish(session, actor, complaint, warning, complaint.replies[-1])
        return None
    reply = ComplaintReply(complaint_id=complaint.id, body=body, warning_status=warning.status)
    complaint.replies.append(reply)
    session.flush()
    _audit_publish(session, actor, complaint, warning, reply)
    return reply


def _audit_publish(
    session: Session, actor: str, c: Complaint, warning: Warning, reply: ComplaintReply
) -> None:
    audit.append(
        session,
        actor,
        "complaint.reply_publish",
        "complaint",
        c.complaint_no,
        {"warning_id": warning.id, "warning_status": warning.status, "reply_id": reply.id},
    )


def _merged_into(session: Session, warning_ids: Sequence[int]) -> set[int]:
    """The warnings and every warning merged into them, directly or along a chain."""
    found = set(warning_ids)
    frontier = set(warning_ids)
    for _ in range(_MAX_MERGE_DEPTH):
        more = (
            set(session.scalars(select(Warning.id).where(Warning.merged_into_id.in_(frontier))))
            - found
        )
        if not more:
            break
        found |= more
        frontier = more
    return found


def on_warnings_status_changed(
    session: Session, warning_ids: Sequence[int], actor: str = SYSTEM_ACTOR
) -> list[ComplaintReply]:
    """The closed loop's post-transition hook (declared in `qingfeng.loop.hooks`): called after
    the status of these warnings changed, in the same transaction. Updates the complaints whose
    warning is one of them or was merged into one of them; does nothing for other warnings (two
    indexed lookups). Returns the replies it published."""
    ids = _merged_into(session, warning_ids)
    published = []
    complaints = session.scalars(
        select(Complaint).where(Complaint.warning_id.in_(ids)).order_by(Complaint.id)
    )
    for complaint in complaints:
        reply = publish_reply_if_disposed(session, complaint, actor)
        if reply is not None:
            published.append(reply)
    return published


def on_warning_status_changed(
    session: Session, warning: Warning, actor: str = SYSTEM_ACTOR
) -> list[ComplaintReply]:
    """`on_warnings_status_changed` for one warning."""
    session.flush()
    return on_warnings_status_changed(session, [warning.id], actor)


def list_complaints(session: Session, limit: int = 100, offset: int = 0) -> list[Complaint]:
    return list(
        session.scalars(
            select(Complaint).order_by(Complaint.created_at.desc()).limit(limit).offset(offset)
        )
    )
