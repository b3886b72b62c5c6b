"""Disclosures run from the back office (公开发布): drafted from a lake dataset (columns chosen,
masked preview), approved by a second person, published, corrected and withdrawn. The complaints
workbench is `portal_complaints`.

The pages call the same functions as the portal's staff API (`qingfeng.portal.publishing`), so
every step is audited the same way and the four-eyes rule holds on both doors. Every query is
scoped to the user's area.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from qingfeng.portal import publishing
from qingfeng.portal.errors import PortalError
from qingfeng.portal.kinds import KINDS, Kind
from qingfeng.portal.models import PortalDivision, Publication, PublicationVersion
from qingfeng.portal.places import PlaceRefresher, default_lake_connect
from qingfeng.portal.publishing import StaffUser, VersionSpec
from qingfeng.store.models import MAX_ID, User
from qingfeng.store.scope import place_in_scope, user_area
from qingfeng.web.deps import ActorDep, csrf_protect, require
from qingfeng.web.portal_mount import staff_user_for
from qingfeng.web.queries.lookups import place_names, places, recent_publications
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Officer = Annotated[Principal, Depends(require(Area.PUBLICATIONS))]

PREVIEW_ROWS = 20
LIST_LIMIT = 200


# ---------------------------------------------------------------- shared helpers


def _lake_connect(request: Request) -> Any:
    """How the publication pages reach the lake (an app may set its own)."""
    return getattr(request.app.state, "portal_lake_connect", None) or default_lake_connect


def _lake(request: Request) -> Any:
    return _lake_connect(request)(request.app.state.settings)


def _store_user(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise HTTPException(status_code=401, detail="not signed in")
    return user


def _in_area(request: Request, session: Session, user: User, code: str | None) -> bool:
    return place_in_scope(session, user, code, request.app.state.settings.county_division_code)


def _places(request: Request, session: Session, user: User) -> list[PortalDivision]:
    """Places the user may name on a disclosure: those in their area, the county's own places
    derived first (as the public form does) so the list is complete without a command."""
    refresher = getattr(request.app.state, "portal_places", None)
    if refresher is None:
        refresher = PlaceRefresher(request.app.state.settings, _lake_connect(request))
        request.app.state.portal_places = refresher
    refresher.ensure(session)
    session.commit()
    area = user_area(session, user)
    rows = places(session)
    return [p for p in rows if any(p.code.startswith(a) for a in area)]


def _spec_from_form(form: Any, kind: Kind) -> VersionSpec:
    filters = {
        f.key: str(form.get(f"filter_{f.key}", "")).strip()
        for f in kind.filters
        if str(form.get(f"filter_{f.key}", "")).strip()
    }
    chosen = tuple(str(c) for c in form.getlist("columns")) if kind.dataset else None
    self_query = form.get("self_query") == "1"
    verification = str(form.get("verification", "")).strip() or None
    return VersionSpec(
        title=str(form.get("title", ""))[:400],
        filters=filters,
        body=str(form.get("body", ""))[:20_000],
        eligibility=str(form.get("eligibility", ""))[:20_000],
        self_query=self_query,
        verification=verification if self_query else None,
        columns=chosen,
    )


def _state_label(t: Any, state: str) -> str:
    key = f"portalops.state.{state}"
    return t(key) if t.has(key) else state


# ---------------------------------------------------------------- disclosures


@router.get("/portal/publications", name="portal_publications")
def publications_page(request: Request, principal: Officer, actor: ActorDep) -> Response:
    s = actor.session
    user = _store_user(s, principal)
    pubs = [
        p for p in recent_publications(s, LIST_LIMIT) if _in_area(request, s, user, p.division_code)
    ]
    names = place_names(s)
    return render(
        request,
        "portal_publications.html",
        {"pubs": pubs, "kinds": KINDS, "names": names, "state_label": _state_label},
    )


def _draft_form(
    request: Request,
    session: Session,
    user: User,
    *,
    kind: Kind,
    pub: Publication | None = None,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal_publication_form.html",
        {
            "kinds": KINDS,
            "kind": kind,
            "pub": pub,
            "places": _places(request, session, user),
            "values": values or {},
            "error": error,
        },
        status_code=status_code,
    )


def _values_of(spec: VersionSpec, division_code: str | None = None) -> dict[str, Any]:
    return {
        "title": spec.title,
        "filters": spec.filters,
        "body": spec.body,
        "eligibility": spec.eligibility,
        "self_query": spec.self_query,
        "verification": spec.verification,
        "columns": list(spec.columns) if spec.columns is not None else None,
        "division_code": division_code or "",
    }


@router.get("/portal/publications/new", name="portal_publication_new")
def new_publication_page(request: Request, principal: Officer, actor: ActorDep) -> Response:
    kind = KINDS.get(request.query_params.get("kind", ""), KINDS["subsidy_roll"])
    return _draft_form(request, actor.session, _store_user(actor.session, principal), kind=kind)


@router.post("/portal/publications", name="portal_publication_create")
async def create_publication(request: Request, principal: Officer, actor: ActorDep) -> Response:
    form = await request.form()
    s = actor.session
    user = _store_user(s, principal)
    kind = KINDS.get(str(form.get("kind", "")))
    if kind is None:
        raise HTTPException(
            status_code=400, detail=f"kind: 未知的公开类别 / unknown kind ({', '.join(KINDS)})"
        )
    spec = _spec_from_form(form, kind)
    division = str(form.get("division_code", "")).strip() or None
    problem = None
    if not _in_area(request, s, user, division):
        problem = f"division_code: {division or '（全县）'} 不在您的范围内 / outside your area"
    if problem is None:
        try:
            version = publishing.create_publication(
                s, kind=kind.id, division_code=division, spec=spec, user=staff_user_for(principal)
            )
        except PortalError as exc:
            problem = exc.message
    if problem is not None:
        s.rollback()
        return _draft_form(
            request,
            s,
            user,
            kind=kind,
            values=_values_of(spec, division),
            error=problem,
            status_code=422,
        )
    s.commit()
    return RedirectResponse(f"/portal/publications/{version.publication_id}", status_code=303)


def _publication(request: Request, s: Session, user: User, publication_id: int) -> Publication:
    pub = s.get(Publication, publication_id) if 1 <= publication_id <= MAX_ID else None
    if pub is None or not _in_area(request, s, user, pub.division_code):
        raise HTTPException(status_code=404, detail="公开事项不存在或不在您的范围内 / not found")
    return pub


def _preview(request: Request, s: Session, version: PublicationVersion) -> dict[str, Any]:
    """Masked rows as they would be published, read from the lake now (nothing written)."""
    if KINDS[version.publication.kind].dataset is None:
        return {"columns": [], "rows": [], "total": 0}
    con = None
    try:
        con = _lake(request)
        return publishing.preview_rows(con, s, version.id, PREVIEW_ROWS)
    except PortalError as exc:
        return {"columns": [], "rows": [], "total": 0, "error": exc.message}
    finally:
        if con is not None:
            con.close()


@router.get("/portal/publications/{publication_id}", name="portal_publication")
def publication_page(
    request: Request, publication_id: int, principal: Officer, actor: ActorDep
) -> Response:
    s = actor.session
    user = _store_user(s, principal)
    pub = _publication(request, s, user, publication_id)
    versions = list(reversed(pub.versions))
    pending = next((v for v in versions if v.state in ("draft", "approved")), None)
    latest = versions[0] if versions else None
    return render(
        request,
        "portal_publication.html",
        {
            "pub": pub,
            "kind": KINDS[pub.kind],
            "versions": versions,
            "pending": pending,
            "preview": _preview(request, s, pending) if pending is not None else None,
            "columns_of": publishing.shown_columns,
            "latest": latest,
            "me": principal.username,
            "state_label": _state_label,
            "filter_labels": {f.key: f.label for f in KINDS[pub.kind].filters},
            "error": request.query_params.get("error"),
        },
    )


@router.post("/portal/publications/{publication_id}/versions", name="portal_publication_correct")
async def correct_publication(
    request: Request, publication_id: int, principal: Officer, actor: ActorDep
) -> Response:
    """A correction: a new draft version; the published one stays until the new one is."""
    form = await request.form()
    s = actor.session
    user = _store_user(s, principal)
    pub = _publication(request, s, user, publication_id)
    kind = KINDS[pub.kind]
    spec = _spec_from_form(form, kind)
    try:
        publishing.create_version(s, pub.id, spec, staff_user_for(principal))
    except PortalError as exc:
        s.rollback()
        return _draft_form(
            request,
            s,
            user,
            kind=kind,
            pub=pub,
            values=_values_of(spec),
            error=exc.message,
            status_code=422,
        )
    s.commit()
    return RedirectResponse(f"/portal/publications/{pub.id}", status_code=303)


@router.get("/portal/publications/{publication_id}/correct", name="portal_publication_correct_form")
def correct_form(
    request: Request, publication_id: int, principal: Officer, actor: ActorDep
) -> Response:
    s = actor.session
    user = _store_user(s, principal)
    pub = _publication(request, s, user, publication_id)
    last = pub.versions[-1]
    values = {
        "title": last.title,
        "filters": last.filters,
        "body": last.body,
        "eligibility": last.eligibility,
        "self_query": last.self_query,
        "verification": last.verification,
        "columns": [c.key for c in publishing.shown_columns(last)],
        "division_code": pub.division_code or "",
    }
    return _draft_form(request, s, user, kind=KINDS[pub.kind], pub=pub, values=values)


async def _step(request: Request, version_id: int, principal: Principal, actor: Any, step: str):
    s = actor.session
    user = _store_user(s, principal)
    version = s.get(PublicationVersion, version_id) if 1 <= version_id <= MAX_ID else None
    if version is None or not _in_area(request, s, user, version.publication.division_code):
        raise HTTPException(status_code=404, detail="版本不存在或不在您的范围内 / not found")
    pub_id = version.publication_id
    who: StaffUser = staff_user_for(principal)
    con = None
    try:
        if step == "approve":
            publishing.approve_version(s, version_id, who)
        elif step == "publish":
            if KINDS[version.publication.kind].dataset is not None:
                con = _lake(request)
            publishing.publish_version(
                s, version_id, who, con, request.app.state.settings.secret_key
            )
        else:
            form = await request.form()
            publishing.withdraw_version(s, version_id, who, str(form.get("reason", ""))[:2000])
    except PortalError as exc:
        s.rollback()
        return RedirectResponse(
            f"/portal/publications/{pub_id}?{query_param('error', exc.message)}", status_code=303
        )
    finally:
        if con is not None:
            con.close()
    s.commit()
    return RedirectResponse(f"/portal/publications/{pub_id}", status_code=303)


def query_param(name: str, value: str) -> str:
    """`name=value` for a redirect's query (a message shown on the next page), shortened."""
    from urllib.parse import urlencode

    return urlencode({name: value[:500]})


@router.post("/portal/publications/versions/{version_id}/approve", name="portal_version_approve")
async def approve(request: Request, version_id: int, principal: Officer, actor: ActorDep):
    return await _step(request, version_id, principal, actor, "approve")


@router.post("/portal/publications/versions/{version_id}/publish", name="portal_version_publish")
async def publish(request: Request, version_id: int, principal: Officer, actor: ActorDep):
    return await _step(request, version_id, principal, actor, "publish")


@router.post("/portal/publications/versions/{version_id}/withdraw", name="portal_version_withdraw")
async def withdraw(request: Request, version_id: int, principal: Officer, actor: ActorDep):
    return await _step(request, version_id, principal, actor, "withdraw")
