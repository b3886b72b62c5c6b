"""People (数字画像): a profile per ID number or credit code, within the user's scope.

Identifiers never travel in URLs (they would land in browser history and proxy logs): a search
is a POST, and a profile reached from a warning is addressed by the warning's id. Every profile
view is audited; showing the full ID number needs a role that may and a written reason, which
is audited too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from qingfeng import audit
from qingfeng.loop.errors import LoopError
from qingfeng.loop.service import get_warning
from qingfeng.web.deps import ActorDep, CatalogueDep, csrf_protect, require
from qingfeng.web.queries.people import (
    PersonQueryError,
    Profile,
    load_profile,
    normalise_identifier,
    relationship_graph,
    subject_key,
)
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render, translator_for

router = APIRouter(dependencies=[Depends(csrf_protect)])
Viewer = Annotated[Principal, Depends(require(Area.PEOPLE))]
MAX_REASON = 500


def _show(
    request: Request,
    actor: ActorDep,
    principal: Principal,
    catalogue: CatalogueDep,
    profile: Profile | None,
    *,
    unmasked: bool = False,
    error: str = "",
    status: int = 200,
) -> Response:
    context: dict[str, object] = {
        "profile": profile,
        "error": error,
        "unmasked": unmasked,
        "can_unmask": allows(principal.role, Area.UNMASK),
    }
    if profile is not None:
        t = translator_for(request)
        labels = {
            "flagged": t("people.flagged"),
            "handled": t("people.handled"),
            **{f"c{i}": t(f"people.category.{i}") for i in range(4)},
        }
        profile.graph = relationship_graph(
            actor,
            profile,
            lambda m: catalogue[m].label(t.lang) if m in catalogue else m,
            labels,
        )
        audit.append(
            actor.session,
            principal.username,
            "person.unmask" if unmasked else "person.view",
            profile.kind,
            subject_key(profile.identifier),
            {"masked": profile.masked, "reason": unmasked_reason(request)}
            if unmasked
            else {"masked": profile.masked},
        )
        actor.session.commit()
    return render(request, "people.html", context, status_code=status)


def unmasked_reason(request: Request) -> str:
    return str(getattr(request.state, "unmask_reason", ""))


@router.get("/people", name="people")
def people_search_page(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    return _show(request, actor, principal, catalogue, None)


@router.post("/people", name="people_search")
async def people_search(
    request: Request, principal: Viewer, actor: ActorDep, catalogue: CatalogueDep
) -> Response:
    form = await request.form()
    raw = form.get("q")
    try:
        identifier = normalise_identifier(raw if isinstance(raw, str) else "")
    except PersonQueryError as exc:
        return _show(request, actor, principal, catalogue, None, error=str(exc), status=400)
    profile = load_profile(actor, identifier)
    if profile is None:
        t = translator_for(request)
        message = t("people.not_found")
        return _show(request, actor, principal, catalogue, None, error=message, status=404)
    return await _maybe_unmask(request, form, principal, actor, catalogue, profile)


async def _maybe_unmask(
    request: Request,
    form: FormData,
    principal: Principal,
    actor: ActorDep,
    catalogue: CatalogueDep,
    profile: Profile,
) -> Response:
    if form.get("unmask") != "1":
        return _show(request, actor, principal, catalogue, profile)
    if not allows(principal.role, Area.UNMASK):
        raise HTTPException(status_code=403, detail="role may not see full ID numbers")
    reason_raw = form.get("reason")
    reason = (reason_raw if isinstance(reason_raw, str) else "").strip()
    if len(reason) < 4 or len(reason) > MAX_REASON:
        t = translator_for(request)
        message = t("people.reason")
        return _show(request, actor, principal, catalogue, profile, error=message, status=422)
    request.state.unmask_reason = reason
    return _show(request, actor, principal, catalogue, profile, unmasked=True)


def _profile_of_warning(actor: ActorDep, warning_id: int) -> Profile:
    try:
        warning = get_warning(actor, warning_id)
    except LoopError as exc:
        raise HTTPException(status_code=exc.http_status, detail=str(exc)) from None
    profile = load_profile(actor, warning.subject_id)
    if profile is None:  # pragma: no cover - the warning itself is in scope
        raise HTTPException(status_code=404, detail="person not found")
    return profile


@router.get("/people/w/{warning_id}", name="person_of_warning")
def person_of_warning(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    return _show(request, actor, principal, catalogue, _profile_of_warning(actor, warning_id))


@router.post("/people/w/{warning_id}", name="person_of_warning_unmask")
async def person_of_warning_unmask(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    form = await request.form()
    profile = _profile_of_warning(actor, warning_id)
    return await _maybe_unmask(request, form, principal, actor, catalogue, profile)
