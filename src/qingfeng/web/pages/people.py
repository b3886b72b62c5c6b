"""People (数字画像): a profile per ID number or credit code, within the user's scope.

Identifiers never travel in URLs (they would land in browser history and proxy logs): a search
is a POST, and a profile reached from a warning is addressed by the warning's id. Every profile
view is audited; showing the full ID number needs a role that may and a written reason, which
is audited too.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from qingfeng import audit
from qingfeng.loop.errors import LoopError
from qingfeng.loop.service import get_warning
from qingfeng.web.deps import ActorDep, CatalogueDep, csrf_protect, require
from qingfeng.web.queries.people import (
    PersonQueryError,
    Profile,
    id_facts,
    load_profile,
    normalise_identifier,
    relationship_graph,
    subject_key,
)
from qingfeng.web.queries.person_search import (
    library_namesakes,
    looks_like_name,
    merge_candidates,
    warning_namesakes,
)
from qingfeng.web.queries.profile import load_library_profile, open_libraries, person_division
from qingfeng.web.queries.relation_graph import (
    RELATION_COLOURS,
    GraphContext,
    NodeRef,
    NodeRefs,
    graph_fragment,
    library_graph_option,
    neighbours,
    node_label,
)
from qingfeng.web.regions import region_names
from qingfeng.web.roles import Area, allows
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render, translator_for

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(csrf_protect)])
Viewer = Annotated[Principal, Depends(require(Area.PEOPLE))]
MAX_REASON = 500
MAX_OFFSET = 100_000  # graph paging: far beyond any real neighbourhood


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
            lambda m: catalogue[m].label(t.lang) if m in catalogue else t.maybe(f"model.{m}", m),
            labels,
            lambda k: t.maybe(f"fieldname.{k}", k),
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
        if profile.kind == "person":
            context.update(_library_section(request, principal, profile, unmasked))
    return render(request, "people.html", context, status_code=status)


def _refs(request: Request) -> NodeRefs:
    state = request.app.state
    if getattr(state, "graph_refs", None) is None:
        state.graph_refs = NodeRefs(state.sessions)
    return state.graph_refs


def _graph_categories(request: Request) -> list[str]:
    t = translator_for(request)
    return [t(f"people.lib.category.{i}") for i in range(4)]


def _library_section(
    request: Request, principal: Principal, profile: Profile, unmasked: bool
) -> dict[str, Any]:
    """The libraries' part of the profile and the first hop of its relationship graph; an
    unreadable lake leaves the rest of the profile working (logged, shown as a note)."""
    settings = request.app.state.settings
    try:
        with open_libraries(settings) as (con, views):
            lib = load_library_profile(con, views, profile.identifier)
            rows, total = neighbours(con, views, "person", profile.identifier)
    except Exception as exc:  # a broken library must not hide the warnings
        log.warning("libraries unreadable for a profile: %s", type(exc).__name__)
        return {"lib": None, "lib_error": f"{type(exc).__name__}"}
    graph = library_graph_option(
        _graph_context(request, principal),
        NodeRef(principal.user_id, "person", profile.identifier),
        node_label("person", profile.identifier, profile.name, unmasked),
        rows,
        total,
        _graph_categories(request),
    )
    return {
        "lib": lib,
        "lib_graph": graph if rows else None,
        "relation_colours": RELATION_COLOURS,
    }


def _graph_context(request: Request, principal: Principal) -> GraphContext:
    t = translator_for(request)
    return GraphContext(
        refs=_refs(request),
        user_id=principal.user_id,
        covers=principal.covers,
        secret=request.app.state.settings.secret_key,
        maybe=t.maybe,
        more_label=lambda n: t("people.lib.graph_more", n=n),
        outside_label=t("people.lib.graph_outside"),
    )


def _library_only_profile(
    request: Request, principal: Principal, identifier: str
) -> Profile | None:
    """A person with no warning in scope is still shown when the registry places them inside
    the user's area (the libraries' people.division_code)."""
    if len(identifier) != 18 or not identifier[:17].isdigit():
        return None
    try:
        with open_libraries(request.app.state.settings) as (con, views):
            division = person_division(con, views, identifier)
            lib = load_library_profile(con, views, identifier) if division else None
    except Exception as exc:
        log.warning("libraries unreadable for a search: %s", type(exc).__name__)
        return None
    if lib is None or not principal.covers(division):
        return None
    born, gender, region = id_facts(identifier)
    name = str(lib.identity.get("name") or "")
    return Profile(identifier, "person", name, born, gender, region, [], Decimal(0))


@router.post("/people/graph", name="people_graph")
async def expand_node(request: Request, principal: Viewer, actor: ActorDep) -> Response:
    """The neighbours of one graph node (by the opaque id the page was given), in scope and
    audited. Body: form or JSON fields `node` and `offset` (the next page of a large
    neighbourhood)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        token = body.get("node") if isinstance(body, dict) else None
        raw_offset = body.get("offset", 0) if isinstance(body, dict) else 0
    else:
        form = await request.form()
        token, raw_offset = form.get("node"), form.get("offset") or 0
    try:
        offset = int(str(raw_offset))
    except ValueError:
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise HTTPException(status_code=422, detail=f"offset: 0..{MAX_OFFSET} expected")
    ref = _refs(request).resolve(token, principal.user_id) if isinstance(token, str) else None
    if ref is None or not isinstance(token, str):
        raise HTTPException(
            status_code=404, detail="节点已失效，请刷新页面 / unknown node; reload the page"
        )
    settings = request.app.state.settings
    with open_libraries(settings) as (con, views):
        division = person_division(con, views, ref.identifier) if ref.kind == "person" else None
        outside = ref.kind == "person" and not principal.covers(division)
        if outside and load_profile(actor, ref.identifier) is None:
            raise HTTPException(status_code=404, detail="不在您的辖区 / outside your area")
        rows, total = neighbours(con, views, ref.kind, ref.identifier, offset)
    audit.append(
        actor.session,
        principal.username,
        "person.graph_expand",
        ref.kind,
        subject_key(ref.identifier),
        {"neighbours": len(rows), "offset": offset, "total": total},
    )
    actor.session.commit()
    part = graph_fragment(
        _graph_context(request, principal), token, rows, total=total, offset=offset
    )
    return JSONResponse(part)


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
    picked = form.get("pick")
    if isinstance(picked, str) and picked:
        ref = _refs(request).resolve(picked, principal.user_id)
        if ref is None or ref.kind != "person":
            raise HTTPException(
                status_code=404, detail="选择已失效，请重新查询 / choice expired; search again"
            )
        identifier = ref.identifier
    else:
        text = raw if isinstance(raw, str) else ""
        try:
            identifier = normalise_identifier(text)
        except PersonQueryError as exc:
            name = looks_like_name(text)
            if name is None:
                return _show(request, actor, principal, catalogue, None, error=str(exc), status=400)
            return _name_search(request, actor, principal, catalogue, name)
    profile = load_profile(actor, identifier) or _library_only_profile(
        request, principal, identifier
    )
    if profile is None:
        t = translator_for(request)
        message = t("people.not_found")
        return _show(request, actor, principal, catalogue, None, error=message, status=404)
    return await _maybe_unmask(request, form, principal, actor, catalogue, profile)


def _name_search(
    request: Request,
    actor: ActorDep,
    principal: Principal,
    catalogue: CatalogueDep,
    name: str,
) -> Response:
    """Everyone of that name the user may see, to pick one from (audited: who searched which
    name, how many were shown; the name itself only as a digest)."""
    try:
        with open_libraries(request.app.state.settings) as (con, views):
            library = library_namesakes(con, views, name, principal.prefixes)
    except Exception as exc:  # the warnings still answer when the lake cannot
        log.warning("libraries unreadable for a name search: %s", type(exc).__name__)
        library = []
    found = merge_candidates(library, warning_namesakes(actor, name))
    audit.append(
        actor.session,
        principal.username,
        "person.search",
        "name",
        subject_key(name),
        {"matches": len(found)},
    )
    actor.session.commit()
    if not found:
        t = translator_for(request)
        return _show(
            request, actor, principal, catalogue, None, error=t("people.not_found"), status=404
        )
    tokens = _refs(request).issue_many(
        [NodeRef(principal.user_id, "person", c.identifier) for c in found]
    )
    regions = region_names(actor)
    rows = [
        {
            "pick": token,
            "name": c.name,
            "masked": c.masked,
            "birth_year": c.birth_year,
            "area": regions.get(c.division_code, c.division_code or "—"),
            "sources": sorted(c.sources),
        }
        for token, c in zip(tokens, found, strict=True)
    ]
    return render(
        request,
        "people.html",
        {"profile": None, "error": "", "candidates": rows, "query_name": name},
    )


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
    if profile.kind != "person":
        raise HTTPException(status_code=400, detail=f"a {profile.kind} has no ID number to reveal")
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


@router.get("/people/w/{warning_id}/report.xlsx", name="person_report")
def person_report(
    request: Request,
    warning_id: int,
    principal: Viewer,
    actor: ActorDep,
    catalogue: CatalogueDep,
) -> Response:
    """The profile as a workbook in the reader's language: masked as the page is, audited."""
    from urllib.parse import quote

    from qingfeng.localtime import settings_zone
    from qingfeng.store.models import utcnow
    from qingfeng.web.profile_report import XLSX, build_report

    profile = _profile_of_warning(actor, warning_id)
    t = translator_for(request)
    settings = request.app.state.settings
    lib = None
    if profile.kind == "person":
        try:
            with open_libraries(settings) as (con, views):
                lib = load_library_profile(con, views, profile.identifier)
        except Exception as exc:  # the warnings still make a report without the lake
            log.warning("libraries unreadable for a report: %s", type(exc).__name__)
    regions = region_names(actor)
    body = build_report(
        t,
        profile,
        lib,
        model_name=lambda m: (
            catalogue[m].label(t.lang) if m in catalogue else t.maybe(f"model.{m}", m)
        ),
        region_name=lambda code: regions.get(code or "", code or "—"),
        viewer=principal.username,
        zone=settings_zone(settings),
        now=utcnow(),
    )
    audit.append(
        actor.session,
        principal.username,
        "person.export",
        profile.kind,
        subject_key(profile.identifier),
        {"format": "xlsx", "masked": True, "lang": t.lang},
    )
    actor.session.commit()
    name = f"{t('people.report.file')}-{warning_id}.xlsx"
    return Response(
        body,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=profile-{warning_id}.xlsx; "
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


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
