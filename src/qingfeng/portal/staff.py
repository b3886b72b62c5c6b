"""Staff access to complaints: which store user acts, which complaints they may see, and the audit
row every read of a complaint's personal data writes.

A complaint is visible to a staff member exactly when its warning is (`qingfeng.store.scope`: the
user's organisation subtree by area and by dispatch), so a township sees the complaints about its
villages and a county all of its own. Reads that show contact data, text or attachments are
audited in the read's transaction (`complaint.view`, with `via` saying which screen or API).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.portal.errors import Forbidden, NotFound
from qingfeng.portal.models import Complaint
from qingfeng.portal.publishing import StaffUser
from qingfeng.store.models import User, Warning
from qingfeng.store.scope import warning_scope_clause


def store_user(session: Session, staff: StaffUser) -> User:
    """The store user behind `staff` (by `user_id`, else by username `id`); 403 if none or
    inactive — complaints are only shown to people whose organisational scope is known."""
    if staff.user_id is not None:
        user = session.get(User, staff.user_id)
    else:
        user = session.scalars(select(User).where(User.username == staff.id)).one_or_none()
    if user is None or not user.active:
        raise Forbidden(
            f"用户 {staff.id} 没有有效的后台账号（所属单位决定可见范围）/ "
            f"{staff.id} has no active back-office account (its organisation sets the scope)"
        )
    return user


def scope_clause(session: Session, user: User) -> ColumnElement[bool]:
    """WHERE clause over `Warning` for statements joined with `join_warning`."""
    return warning_scope_clause(session, user)


def join_warning(stmt: Select) -> Select:
    return stmt.join(Warning, Warning.id == Complaint.warning_id)


def visible_complaints(session: Session, staff: StaffUser) -> Select:
    """SELECT of the complaints `staff` may see."""
    user = store_user(session, staff)
    return join_warning(select(Complaint)).where(scope_clause(session, user))


def visible_complaint(session: Session, staff: StaffUser, complaint_no: str) -> Complaint:
    """One complaint if `staff` may see it; NotFound otherwise (out of scope looks the same)."""
    c = session.scalars(
        visible_complaints(session, staff).where(Complaint.complaint_no == complaint_no)
    ).one_or_none()
    if c is None:
        raise NotFound(f"投诉 {complaint_no} 不存在或不在您的范围内 / complaint not found")
    return c


def view_complaint(session: Session, staff: StaffUser, complaint_no: str, via: str) -> Complaint:
    """A complaint read in full (contact data, text, attachments): audited."""
    c = visible_complaint(session, staff, complaint_no)
    audit_views(session, staff, [c], via)
    return c


def list_complaints(
    session: Session, staff: StaffUser, limit: int = 100, offset: int = 0
) -> list[Complaint]:
    """The newest complaints `staff` may see; each one listed is an audited read."""
    rows = list(
        session.scalars(
            visible_complaints(session, staff)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    audit_views(session, staff, rows, "api.list")
    return rows


def audit_views(
    session: Session,
    staff: StaffUser,
    complaints: Sequence[Complaint],
    via: str,
    **detail: str,
) -> None:
    audit.append_many(
        session,
        [
            audit.AuditEntry(
                staff.id,
                "complaint.view",
                "complaint",
                c.complaint_no,
                {"via": via, "named": not c.anonymous, **detail},
            )
            for c in complaints
        ],
    )
