"""Back-office API of the portal: publications (/api/v1/publications), places offered in menus,
complaints (/api/v1/complaints) and their analytics, plus an escaped HTML view of one complaint.

Mounted by the web app; `current_staff_user` (deps.py) is the seam where it plugs in sign-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qingfeng import audit
from qingfeng.portal import analytics, complaints, links, publishing, staff
from qingfeng.portal.context import SECURITY_HEADERS, templates
from qingfeng.portal.deps import (
    COMPLAINT_ROLES,
    DASHBOARD_ROLES,
    PUBLICATION_ROLES,
    require_roles,
)
from qingfeng.portal.errors import Forbidden, NotFound, PortalError
from qingfeng.portal.ids import IdPath
from qingfeng.portal.models import PortalDivision, Publication, PublicationVersion
from qingfeng.portal.publishing import StaffUser, VersionSpec
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import MAX_ID, Warning, utcnow
from qingfeng.store.scope import covers, place_in_scope, user_area

LakeConnect = Callable[[Settings], Any]


class VersionIn(BaseModel):
    title: str = Field(max_length=200)
    filters: dict[str, str] = Field(default_factory=dict)
    body: str = Field(default="", max_length=20_000)
    eligibility: str = Field(default="", max_length=20_000)
    self_query: bool = False
    verification: str | None = None
    columns: list[str] | None = Field(
        default=None, max_length=50, description="the kind's column keys to show; omitted: all"
    )

    def spec(self) -> VersionSpec:
        data = self.model_dump(include=set(VersionIn.model_fields))
        data["columns"] = tuple(self.columns) if self.columns is not None else None
        return VersionSpec(**data)


class PublicationIn(VersionIn):
    kind: str
    division_code: str | None = None


class WithdrawIn(BaseModel):
    reason: str = Field(max_length=2000)


class DivisionIn(BaseModel):
    code: str = Field(pattern=r"^\d{6}(\d{3}(\d{3})?)?$")
    name: str = Field(min_length=1, max_length=100)
    level: str = Field(default="village", pattern=r"^(county|township|village)$")


class ReplyIn(BaseModel):
    reply: str = Field(max_length=5000)


class LinkIn(BaseModel):
    target_type: str = Field(description="person | organisation | warning")
    target_id: str = Field(max_length=32, description="ID number, credit code or warning id")
    target_name: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)


def _default_lake_connect(settings: Settings) -> Any:
    from qingfeng.lake import connect  # the data station's (branch data)

    return connect(settings)


def build_backoffice_router(
    settings: Settings,
    *,
    factory: sessionmaker[Session] | None = None,
    lake_connect: LakeConnect | None = None,
    static_prefix: str = "/public",
    status_label: Callable[[str], str] = str,
) -> APIRouter:
    """`status_label` words a lead's status for the staff complaint page (the back office passes
    its own label table; the portal keeps no copy of it)."""
    factory = factory or session_factory(make_engine(settings.database_url))
    connect = lake_connect or _default_lake_connect
    tpl = templates(settings.timezone)
    officer = Depends(require_roles(PUBLICATION_ROLES))
    handler = Depends(require_roles(COMPLAINT_ROLES))
    dashboard = Depends(require_roles(DASHBOARD_ROLES))
    router = APIRouter()

    @contextmanager
    def tx() -> Iterator[Session]:
        try:
            with factory() as session, session.begin():
                yield session
        except PortalError as exc:
            raise HTTPException(
                exc.status_code, {"message": exc.message, "field": exc.field}
            ) from None

    # ------------------------------------------------------------ publications
    # A disclosure belongs to the area it names (county-wide ones, without a code, to the
    # workspace's county): staff outside that area neither see nor change it, as with warnings.
    def in_area(s: Session, user: StaffUser, code: str | None) -> bool:
        return place_in_scope(s, staff.store_user(s, user), code, settings.county_division_code)

    def own_publication(s: Session, user: StaffUser, publication_id: int) -> None:
        pub = s.get(Publication, publication_id) if 1 <= publication_id <= MAX_ID else None
        if pub is None or not in_area(s, user, pub.division_code):
            raise NotFound(f"公开事项 {publication_id} 不存在或不在您的范围内 / not found")

    def own_version(s: Session, user: StaffUser, version_id: int) -> None:
        v = s.get(PublicationVersion, version_id) if 1 <= version_id <= MAX_ID else None
        if v is None or not in_area(s, user, v.publication.division_code):
            raise NotFound(f"版本 {version_id} 不存在或不在您的范围内 / version not found")

    @router.get("/api/v1/publications", tags=["publications"])
    def list_publications(user: StaffUser = officer) -> list[dict[str, Any]]:
        with tx() as s:
            pubs = [
                p
                for p in s.scalars(select(Publication).order_by(Publication.id.desc())).all()
                if in_area(s, user, p.division_code)
            ]
            return [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "title": p.title,
                    "division_code": p.division_code,
                    "versions": [publishing.version_to_dict(v) for v in p.versions],
                }
                for p in pubs
            ]

    @router.post("/api/v1/publications", status_code=201, tags=["publications"])
    def create(body: PublicationIn, user: StaffUser = officer) -> dict[str, Any]:
        with tx() as s:
            if not in_area(s, user, body.division_code):
                raise Forbidden(
                    f"division_code: {body.division_code or '（全县）'} 不在您的范围内 / "
                    "outside your area",
                    "division_code",
                )
            v = publishing.create_publication(
                s, kind=body.kind, division_code=body.division_code, spec=body.spec(), user=user
            )
            return publishing.version_to_dict(v)

    @router.post(
        "/api/v1/publications/{publication_id}/versions", status_code=201, tags=["publications"]
    )
    def new_version(
        publication_id: IdPath, body: VersionIn, user: StaffUser = officer
    ) -> dict[str, Any]:
        with tx() as s:
            own_publication(s, user, publication_id)
            return publishing.version_to_dict(
                publishing.create_version(s, publication_id, body.spec(), user)
            )

    @router.get("/api/v1/publications/versions/{version_id}/preview", tags=["publications"])
    def preview(version_id: IdPath, user: StaffUser = officer) -> dict[str, Any]:
        con = None
        try:
            with tx() as s:
                own_version(s, user, version_id)
                if publishing.get_version(s, version_id).publication.kind == "policy":
                    return {"columns": [], "rows": [], "total": 0}
                con = connect(settings)
                return publishing.preview_rows(con, s, version_id)
        finally:
            if con is not None:
                con.close()

    @router.post("/api/v1/publications/versions/{version_id}/approve", tags=["publications"])
    def approve(version_id: IdPath, user: StaffUser = officer) -> dict[str, Any]:
        with tx() as s:
            own_version(s, user, version_id)
            return publishing.version_to_dict(publishing.approve_version(s, version_id, user))

    @router.post("/api/v1/publications/versions/{version_id}/publish", tags=["publications"])
    def publish(version_id: IdPath, user: StaffUser = officer) -> dict[str, Any]:
        con = None
        try:
            with tx() as s:
                own_version(s, user, version_id)
                needs_lake = publishing.get_version(s, version_id).publication.kind != "policy"
                con = connect(settings) if needs_lake else None
                v = publishing.publish_version(s, version_id, user, con, settings.secret_key)
                return publishing.version_to_dict(v)
        finally:
            if con is not None:
                con.close()

    @router.post("/api/v1/publications/versions/{version_id}/withdraw", tags=["publications"])
    def withdraw(version_id: IdPath, body: WithdrawIn, user: StaffUser = officer) -> dict[str, Any]:
        with tx() as s:
            own_version(s, user, version_id)
            return publishing.version_to_dict(
                publishing.withdraw_version(s, version_id, user, body.reason)
            )

    @router.put("/api/v1/portal/divisions", tags=["publications"])
    def put_divisions(body: list[DivisionIn], user: StaffUser = officer) -> dict[str, int]:
        with tx() as s:
            area = user_area(s, staff.store_user(s, user))
            outside = [d.code for d in body if not covers(area, d.code)]
            if outside:
                raise Forbidden(
                    f"地点 {', '.join(outside[:5])} 不在您的范围内 / places outside your area",
                    "code",
                )
            changes = []
            for d in body:
                before = s.get(PortalDivision, d.code)
                old = (before.name, before.level) if before is not None else None
                if old != (d.name, d.level):
                    changes.append(
                        {"code": d.code, "name": d.name, "level": d.level, "before": old and old[0]}
                    )
                s.merge(PortalDivision(code=d.code, name=d.name, level=d.level))
            if changes:  # renaming a place changes what the public pages say: audited
                audit.append(
                    s, user.id, "portal.places", "portal_division", "*", {"changes": changes}
                )
            return {"count": len(body)}

    # ------------------------------------------------------------ complaints
    # Every complaint read is scoped to the user's organisation (through the complaint's warning)
    # and reads of personal data are audited in their transaction (portal.staff).
    @router.get("/api/v1/complaints", tags=["complaints"])
    def list_all(
        limit: int = Query(100, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_ID),
        user: StaffUser = handler,
    ) -> list[dict]:
        with tx() as s:
            return [
                _complaint_dict(s, c)
                for c in staff.list_complaints(s, user, min(max(limit, 1), 500), max(offset, 0))
            ]

    @router.get("/api/v1/complaints/analytics", tags=["complaints"])
    def complaint_analytics(
        days: int = Query(30, ge=1, le=3660),
        since_month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
        user: StaffUser = handler,
    ) -> JSONResponse:
        with tx() as s:
            scope = staff.scope_clause(s, staff.store_user(s, user))
            data = {
                "trends": analytics.trends(s, since_month, where=scope),
                "repeated_targets": analytics.repeated_targets(s, where=scope),
                "long_unresolved": analytics.long_unresolved(s, days, where=scope),
                "near_duplicates": analytics.duplicate_complaints(s, where=scope),
                "replies": analytics.suspicious_replies(s, where=scope),
            }
        return JSONResponse(_jsonable(data))

    @router.get("/api/v1/complaints/trends", tags=["complaints"])
    def complaint_trends(
        since_month: str | None = Query(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
        months: int = Query(default=12, ge=1, le=120),
        user: StaffUser = dashboard,
    ) -> dict[str, Any]:
        """Complaints per month and category, per place, answered or not, within the user's
        scope — the data of the dashboard's complaint chart. Without `since_month`, the last
        `months` months (this one included)."""
        start = since_month or analytics.month_back(utcnow(), months)
        with tx() as s:
            scope = staff.scope_clause(s, staff.store_user(s, user))
            rows = analytics.trends(s, start, where=scope)
            names = dict(s.execute(select(PortalDivision.code, PortalDivision.name)).all())
            return {"since_month": start, **analytics.trend_series(rows, names), "rows": rows}

    @router.get("/api/v1/complaints/linked", tags=["complaints"])
    def linked_to(
        target_type: str, target_id: str, user: StaffUser = handler
    ) -> list[dict[str, Any]]:
        with tx() as s:
            return links.complaints_linked_to(s, user, target_type, target_id)

    @router.get("/api/v1/complaints/{complaint_no}", tags=["complaints"])
    def get_one(complaint_no: str, user: StaffUser = handler) -> dict[str, Any]:
        with tx() as s:
            return _complaint_dict(s, staff.view_complaint(s, user, complaint_no, "api"))

    @router.put("/api/v1/complaints/{complaint_no}/reply", tags=["complaints"])
    def put_reply(complaint_no: str, body: ReplyIn, user: StaffUser = handler) -> dict[str, Any]:
        with tx() as s:
            staff.visible_complaint(s, user, complaint_no)
            c = complaints.set_reply_draft(s, complaint_no, body.reply, actor=user.id)
            return _complaint_dict(s, c)

    @router.get("/api/v1/complaints/{complaint_no}/links", tags=["complaints"])
    def get_links(complaint_no: str, user: StaffUser = handler) -> list[dict[str, Any]]:
        with tx() as s:
            return links.list_links(s, user, complaint_no)

    @router.post("/api/v1/complaints/{complaint_no}/links", status_code=201, tags=["complaints"])
    def add_link(complaint_no: str, body: LinkIn, user: StaffUser = handler) -> dict[str, Any]:
        with tx() as s:
            link = links.add_link(
                s,
                user,
                complaint_no,
                body.target_type,
                body.target_id,
                target_name=body.target_name,
                note=body.note,
            )
            return links.link_dict(s, link, staff.store_user(s, user))

    @router.delete(
        "/api/v1/complaints/{complaint_no}/links/{link_id}", status_code=204, tags=["complaints"]
    )
    def delete_link(complaint_no: str, link_id: IdPath, user: StaffUser = handler) -> Response:
        with tx() as s:
            links.remove_link(s, user, complaint_no, link_id)
        return Response(status_code=204)

    @router.get("/api/v1/complaints/{complaint_no}/attachments/{sha256}", tags=["complaints"])
    def attachment(complaint_no: str, sha256: str, user: StaffUser = handler) -> FileResponse:
        with tx() as s:
            c = staff.visible_complaint(s, user, complaint_no)
            meta = next((a for a in c.attachments if a.sha256 == sha256), None)
            path = settings.attachments_dir / sha256
            if meta is None or not path.is_file():
                raise HTTPException(404, "附件不存在 / no such attachment")
            staff.audit_views(s, user, [c], "api.attachment", sha256=sha256)
            content_type, original_name = meta.content_type, meta.original_name
        # Always a download, never rendered in the staff's browser session.
        return FileResponse(
            path,
            media_type=content_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(original_name)}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'",
            },
        )

    @router.get(
        "/staff/complaints/{complaint_no}", response_class=HTMLResponse, tags=["complaints"]
    )
    def staff_page(request: Request, complaint_no: str, user: StaffUser = handler) -> HTMLResponse:
        with tx() as s:
            c = staff.view_complaint(s, user, complaint_no, "page")
            w = s.get(Warning, c.warning_id) if c.warning_id else None
            resp = tpl.TemplateResponse(
                request,
                "staff_complaint.html",
                {
                    "c": c,
                    "category": complaints.CATEGORIES.get(c.category, c.category),
                    "warning_status": status_label(w.status) if w else "—",
                    "static_prefix": static_prefix,
                },
            )
            resp.headers.update(SECURITY_HEADERS)
            return resp

    return router


def _complaint_dict(s: Session, c: Any) -> dict[str, Any]:
    d = complaints.complaint_record(c)
    d.update(
        {
            "status": complaints.public_status(s, c),
            "warning_id": c.warning_id,
            "reply_draft": c.reply_draft,
            "replies": [
                {"body": r.body, "published_at": r.published_at.isoformat()} for r in c.replies
            ],
        }
    )
    return d


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
