"""Links from a complaint to a person (ID number), an organisation (unified social credit code) or
another warning, made by staff in the back office.

Scoped like the complaint itself (`portal.staff`): only a complaint the user may see can be linked
or read, and only to a warning the user may also see. Every change and every read is audited in
its transaction; the audit detail carries ID numbers masked (the link row holds the full number).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from qingfeng import audit
from qingfeng.masking import mask_id
from qingfeng.portal import staff as staff_access
from qingfeng.portal.errors import Conflict, NotFound, PortalError
from qingfeng.portal.models import LINK_TYPES, Complaint, ComplaintLink
from qingfeng.portal.publishing import StaffUser
from qingfeng.store.models import Warning, utcnow
from qingfeng.store.scope import can_see_warning

LINK_LABELS = {"person": "人员", "organisation": "单位", "warning": "预警"}


def _normalise_target(
    session: Session, staff: StaffUser, complaint: Complaint, target_type: str, target_id: str
) -> tuple[str, Warning | None]:
    """The canonical target id (checked), and the warning for a warning link."""
    raw = (target_id or "").strip()
    if target_type not in LINK_TYPES:
        raise PortalError(
            f"target_type: {target_type!r} 不是 {', '.join(LINK_TYPES)} 之一", "target_type"
        )
    if not raw:
        raise PortalError("target_id: 不能为空", "target_id")
    if target_type == "person":
        value = raw.upper()
        if not ric.is_valid(value) or len(value) != 18:
            raise PortalError("target_id: 不是有效的18位公民身份号码", "target_id")
        return value, None
    if target_type == "organisation":
        value = raw.upper()
        if not uscc.is_valid(value):
            raise PortalError("target_id: 不是有效的统一社会信用代码", "target_id")
        return value, None
    if not raw.isdigit():
        raise PortalError(f"target_id: 预警编号须为数字，收到 {raw!r}", "target_id")
    user = staff_access.store_user(session, staff)
    warning = can_see_warning(session, user, int(raw))
    if warning is None:
        raise PortalError(f"target_id: 预警 {raw} 不存在或不在您的范围内", "target_id")
    if warning.id == complaint.warning_id:
        raise PortalError("target_id: 不能关联投诉自身的预警", "target_id")
    return str(warning.id), warning


def _audit_target(link: ComplaintLink) -> str:
    return (mask_id(link.target_id) or "") if link.target_type == "person" else link.target_id


def add_link(
    session: Session,
    staff: StaffUser,
    complaint_no: str,
    target_type: str,
    target_id: str,
    target_name: str = "",
    note: str = "",
) -> ComplaintLink:
    """Link a complaint the user may see to a target; 409 if that link exists already."""
    if len(target_name) > 200:
        raise PortalError("target_name: 不超过200字", "target_name")
    if len(note) > 2000:
        raise PortalError("note: 不超过2000字", "note")
    complaint = staff_access.visible_complaint(session, staff, complaint_no)
    value, warning = _normalise_target(session, staff, complaint, target_type, target_id)
    exists = session.scalar(
        select(ComplaintLink.id).where(
            ComplaintLink.complaint_id == complaint.id,
            ComplaintLink.target_type == target_type,
            ComplaintLink.target_id == value,
        )
    )
    if exists is not None:
        raise Conflict(f"投诉 {complaint_no} 已关联该{LINK_LABELS[target_type]}（关联 {exists}）")
    link = ComplaintLink(
        complaint_id=complaint.id,
        target_type=target_type,
        target_id=value,
        warning_id=warning.id if warning is not None else None,
        target_name=(target_name or (warning.subject_name if warning else "") or "").strip(),
        note=note.strip(),
        created_by=staff.id,
        created_at=utcnow(),
    )
    session.add(link)
    try:
        with session.begin_nested():  # two people adding the same link at once: one wins
            session.flush()
    except IntegrityError:
        raise Conflict(f"投诉 {complaint_no} 已关联该{LINK_LABELS[target_type]}") from None
    audit.append(
        session,
        staff.id,
        "complaint.link_add",
        "complaint",
        complaint.complaint_no,
        {"link_id": link.id, "target_type": target_type, "target": _audit_target(link)},
    )
    return link


def remove_link(session: Session, staff: StaffUser, complaint_no: str, link_id: int) -> None:
    complaint = staff_access.visible_complaint(session, staff, complaint_no)
    link = session.get(ComplaintLink, link_id)
    if link is None or link.complaint_id != complaint.id:
        raise NotFound(f"投诉 {complaint_no} 没有关联 {link_id}")
    audit.append(
        session,
        staff.id,
        "complaint.link_remove",
        "complaint",
        complaint.complaint_no,
        {"link_id": link.id, "target_type": link.target_type, "target": _audit_target(link)},
    )
    session.delete(link)
    session.flush()


def list_links(session: Session, staff: StaffUser, complaint_no: str) -> list[dict[str, Any]]:
    """The complaint's links (an audited read). A linked warning's summary is shown only if the
    user may see that warning."""
    complaint = staff_access.visible_complaint(session, staff, complaint_no)
    links = list(
        session.scalars(
            select(ComplaintLink)
            .where(ComplaintLink.complaint_id == complaint.id)
            .order_by(ComplaintLink.id)
        )
    )
    staff_access.audit_views(session, staff, [complaint], "api.links")
    user = staff_access.store_user(session, staff)
    return [link_dict(session, link, user) for link in links]


def link_dict(session: Session, link: ComplaintLink, user: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": link.id,
        "target_type": link.target_type,
        "target_type_label": LINK_LABELS[link.target_type],
        "target_id": link.target_id,
        "target_name": link.target_name,
        "note": link.note,
        "created_by": link.created_by,
        "created_at": link.created_at.isoformat(),
        "warning": None,
    }
    if link.warning_id is not None:
        w = can_see_warning(session, user, link.warning_id)
        if w is not None:
            d["warning"] = {
                "id": w.id,
                "model_id": w.model_id,
                "subject_name": w.subject_name,
                "status": w.status,
                "severity": w.severity,
            }
    return d


def complaints_linked_to(
    session: Session, staff: StaffUser, target_type: str, target_id: str
) -> list[dict[str, Any]]:
    """Complaints the user may see that are linked to a person, organisation or warning (e.g. on
    a person's page: "complaints about this person"). Audited as a search."""
    if target_type not in LINK_TYPES:
        raise PortalError(
            f"target_type: {target_type!r} 不是 {', '.join(LINK_TYPES)} 之一", "target_type"
        )
    value = (target_id or "").strip().upper()
    rows = session.execute(
        staff_access.visible_complaints(session, staff)
        .add_columns(ComplaintLink.id)
        .join(ComplaintLink, ComplaintLink.complaint_id == Complaint.id)
        .where(ComplaintLink.target_type == target_type, ComplaintLink.target_id == value)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
    ).all()
    audit.append(
        session,
        staff.id,
        "complaint.link_search",
        "complaint_link",
        target_type,
        {
            "target": (mask_id(value) or "") if target_type == "person" else value,
            "found": len(rows),
        },
    )
    return [
        {
            "complaint_no": c.complaint_no,
            "link_id": link_id,
            "title": c.title,
            "category": c.category,
            "division_code": c.division_code,
            "received_at": c.created_at.isoformat(),
            "warning_id": c.warning_id,
        }
        for c, link_id in rows
    ]
