"""The complaints workbench of the back office (投诉办理): complaints in the user's scope, read in
full (audited), the complainant's contact revealed only with a reason (audited), a public reply
for the citizen's tracking page and internal replies on the complaint's warning, its attachments
and its stages. The same functions as the portal's staff API do the work
(`qingfeng.portal.complaints`, `staff`), so both doors audit and scope alike.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.loop import service
from qingfeng.loop.errors import LoopError
from qingfeng.loop.machine import COMMENT_ROLES
from qingfeng.masking import mask_name
from qingfeng.portal import complaints, staff
from qingfeng.portal.errors import PortalError
from qingfeng.portal.models import Complaint, PortalDivision
from qingfeng.portal.stages import complaint_stages
from qingfeng.store.models import Comment, Warning
from qingfeng.web.deps import ActorDep, csrf_protect, require
from qingfeng.web.pages.portal_ops import LIST_LIMIT, query_param
from qingfeng.web.portal_mount import staff_user_for
from qingfeng.web.queries.lookups import comments_with_authors, newest_complaints, place_names
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Handler = Annotated[Principal, Depends(require(Area.COMPLAINTS))]


@router.get("/portal/complaints", name="portal_complaints")
def complaints_page(request: Request, principal: Handler, actor: ActorDep) -> Response:
    """Complaints in the user's scope, newest first. The list shows no contact data; each
    complaint listed is still an audited read (its text names people)."""
    s = actor.session
    who = staff_user_for(principal)
    rows = newest_complaints(s, who, LIST_LIMIT)
    staff.audit_views(s, who, rows, "page.list")
    statuses = {c.complaint_no: complaints.public_status(s, c) for c in rows}
    names = place_names(s)
    s.commit()
    return render(
        request,
        "portal_complaints.html",
        {
            "rows": rows,
            "statuses": statuses,
            "names": names,
            "categories": complaints.CATEGORIES,
        },
    )


def _complaint_context(
    request: Request, s: Session, principal: Principal, c: Complaint, *, revealed: bool
) -> dict[str, Any]:
    warning = s.get(Warning, c.warning_id) if c.warning_id else None
    notes: list[tuple[Comment, str]] = []
    if warning is not None:
        notes = comments_with_authors(s, warning.id)
    place = s.get(PortalDivision, c.division_code)
    return {
        "c": c,
        "place": place.name if place else c.division_code,
        "category": complaints.CATEGORIES.get(c.category, c.category),
        "status": complaints.public_status(s, c),
        "stages": complaint_stages(s, c),
        "warning": warning,
        "notes": notes,
        "revealed": revealed,
        "masked_name": mask_name(c.complainant_name) if c.complainant_name else "",
        "masked_phone": _mask_phone(c.complainant_phone),
        "can_note": principal.role in COMMENT_ROLES,
        "error": request.query_params.get("error"),
    }


def _mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return (
        phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]
        if len(phone) > 7
        else "*" * len(phone)
    )


@router.get("/portal/complaints/{complaint_no}", name="portal_complaint")
def complaint_page(
    request: Request, complaint_no: str, principal: Handler, actor: ActorDep
) -> Response:
    s = actor.session
    try:
        c = staff.view_complaint(s, staff_user_for(principal), complaint_no[:64], "page")
    except PortalError as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None
    context = _complaint_context(request, s, principal, c, revealed=False)
    s.commit()
    return render(request, "portal_complaint.html", context)


@router.post("/portal/complaints/{complaint_no}/contact", name="portal_complaint_contact")
async def reveal_contact(
    request: Request, complaint_no: str, principal: Handler, actor: ActorDep
) -> Response:
    """The complainant's name and phone in clear, with the reason written to the audit log."""
    form = await request.form()
    reason = str(form.get("reason", "")).strip()[:500]
    s = actor.session
    who = staff_user_for(principal)
    try:
        c = staff.visible_complaint(s, who, complaint_no[:64])
    except PortalError as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None
    if not reason:
        problem = query_param("error", "查看联系方式须说明理由 / give a reason")
        return RedirectResponse(f"/portal/complaints/{c.complaint_no}?{problem}", status_code=303)
    audit.append(
        s, who.id, "complaint.contact_reveal", "complaint", c.complaint_no, {"reason": reason}
    )
    context = _complaint_context(request, s, principal, c, revealed=True)
    s.commit()
    return render(request, "portal_complaint.html", context)


@router.post("/portal/complaints/{complaint_no}/reply", name="portal_complaint_reply")
async def public_reply(
    request: Request, complaint_no: str, principal: Handler, actor: ActorDep
) -> Response:
    """The public reply: on the citizen's tracking page once the case is disposed (at once if
    it already is)."""
    form = await request.form()
    s = actor.session
    who = staff_user_for(principal)
    try:
        c = staff.visible_complaint(s, who, complaint_no[:64])
        complaints.set_reply_draft(s, c.complaint_no, str(form.get("reply", ""))[:6000], who.id)
    except PortalError as exc:
        s.rollback()
        return RedirectResponse(
            f"/portal/complaints/{complaint_no[:64]}?{query_param('error', exc.message)}",
            status_code=303,
        )
    s.commit()
    return RedirectResponse(f"/portal/complaints/{c.complaint_no}#reply", status_code=303)


@router.post("/portal/complaints/{complaint_no}/note", name="portal_complaint_note")
async def private_reply(
    request: Request, complaint_no: str, principal: Handler, actor: ActorDep
) -> Response:
    """An internal reply: a comment on the complaint's warning (its timeline, audited), never
    shown to the citizen."""
    form = await request.form()
    s = actor.session
    who = staff_user_for(principal)
    try:
        c = staff.visible_complaint(s, who, complaint_no[:64])
    except PortalError as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None
    if c.warning_id is None:
        raise HTTPException(status_code=409, detail="投诉没有对应的预警 / no warning to note on")
    try:
        service.comment(actor, c.warning_id, str(form.get("note", ""))[:10_000])
    except LoopError as exc:
        s.rollback()
        return RedirectResponse(
            f"/portal/complaints/{c.complaint_no}?{query_param('error', str(exc))}", status_code=303
        )
    s.commit()
    return RedirectResponse(f"/portal/complaints/{c.complaint_no}#notes", status_code=303)
