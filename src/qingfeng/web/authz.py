"""The one door every request passes: `enforce_policy`, an app-wide dependency applying the
route's entry of `qingfeng.web.policy` before the route runs.

1. the route's rule (none → 403: a route nobody decided on is closed);
2. public rules pass; otherwise the caller is signed in — pages by the session (else the
   sign-in page), /api and /staff by the session with its CSRF header or HTTP Basic (else 401);
3. the caller's role holds the rule's permission (else 403, the same for page and API);
4. the object named in the path lies in the caller's scope (else 404, as if it did not exist).

Routes still check what depends on the request body or on the action (the state machine's
roles, the reveal of an ID with a reason, the places in a body); collections are read through
the scoped queries (`qingfeng.store.scope`). Both refusals carry the header `X-Policy` saying
which check refused, so the matrix test can tell the door's answer from the route's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.settings import Settings
from qingfeng.store.models import MAX_ID, Attachment, Organisation, SavedFilter, User
from qingfeng.store.scope import can_see_warning, covers_workspace, place_in_scope, subtree_ids
from qingfeng.web.policy import Rule, Scope, rule_for
from qingfeng.web.roles import allows

POLICY_HEADER = "X-Policy"
API_PREFIXES = ("/api/", "/staff/")


def route_template(request: Request) -> str:
    """The matched route's path as the route table spells it (prefixes of routers included)."""
    route = request.scope.get("route")
    app = request.app
    paths: dict[int, str] | None = getattr(app.state, "route_paths", None)
    if paths is None:
        paths = {}
        for rc in iter_route_contexts(app.routes):
            key = id(rc.original_route)
            if key in paths and paths[key] != rc.path:
                # One route object under two paths: its rule could not be told apart.
                raise RuntimeError(f"route {rc.name} is mounted twice ({paths[key]}, {rc.path})")
            paths[key] = rc.path
        app.state.route_paths = paths
    return paths.get(id(route), getattr(route, "path", request.url.path))


def enforce_policy(request: Request) -> None:
    path = route_template(request)
    rule = rule_for(request.method, path)
    if rule is None:
        raise HTTPException(
            403,
            f"no authorisation policy for {request.method} {path}",
            headers={POLICY_HEADER: "missing"},
        )
    if rule.public:
        return
    with request.app.state.sessions() as db:
        user = _signed_in(request, db, path)
        check(rule, db, user, request.path_params, request.app.state.settings)


def check(
    rule: Rule, db: Session, user: User, params: Mapping[str, Any], settings: Settings
) -> None:
    """Permission, then scope, of one signed-in user for one rule (raises the refusal)."""
    assert rule.permission is not None
    if not allows(user.role, rule.permission):
        raise HTTPException(
            403,
            f"角色 {user.role} 无权执行此操作 / role {user.role} lacks permission "
            f"{rule.permission.value}",
            headers={POLICY_HEADER: "permission"},
        )
    resolver = SCOPE_CHECKS.get(rule.scope)
    if resolver is not None and not resolver(db, user, params, settings):
        raise HTTPException(
            404,
            "不存在或不在您的范围内 / not found or outside your scope",
            headers={POLICY_HEADER: "scope"},
        )


def _signed_in(request: Request, db: Session, path: str) -> User:
    if path.startswith(API_PREFIXES):
        from qingfeng.web.api.deps import current_user

        return current_user(request, db)
    from qingfeng.web.deps import current_principal

    principal = current_principal(request, db)
    user = db.get(User, principal.user_id)
    assert user is not None  # current_principal has just read it
    return user


# ------------------------------------------------------------------ scope checks
def _int(params: Mapping[str, Any], name: str) -> int | None:
    """The id in the path, or None when it is not a row id at all: the route then answers the
    malformed value itself (422 or 404), exactly as it would for anyone."""
    text = str(params.get(name, ""))
    if not text.isdigit() or len(text) > 18:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _warning(db: Session, user: User, params: Mapping[str, Any], _s: Settings) -> bool:
    wid = _int(params, "warning_id")
    return wid is None or can_see_warning(db, user, wid) is not None


def _attachment(db: Session, user: User, params: Mapping[str, Any], _s: Settings) -> bool:
    aid = _int(params, "attachment_id")
    if aid is None:
        return True
    row = db.get(Attachment, aid)
    return row is not None and can_see_warning(db, user, row.warning_id) is not None


def _complaint(db: Session, user: User, params: Mapping[str, Any], _s: Settings) -> bool:
    from qingfeng.portal.models import Complaint
    from qingfeng.store.models import Warning
    from qingfeng.store.scope import warning_scope_clause

    number = str(params.get("complaint_no", ""))[:64]
    found = db.scalar(
        select(Complaint.id)
        .join(Warning, Warning.id == Complaint.warning_id)
        .where(Complaint.complaint_no == number, warning_scope_clause(db, user))
    )
    return found is not None


def _publication(db: Session, user: User, params: Mapping[str, Any], s: Settings) -> bool:
    from qingfeng.portal.models import Publication

    pid = _int(params, "publication_id")
    if pid is None:
        return True
    pub = db.get(Publication, pid)
    return pub is not None and place_in_scope(db, user, pub.division_code, s.county_division_code)


def _version(db: Session, user: User, params: Mapping[str, Any], s: Settings) -> bool:
    from qingfeng.portal.models import PublicationVersion

    vid = _int(params, "version_id")
    if vid is None:
        return True
    version = db.get(PublicationVersion, vid)
    return version is not None and place_in_scope(
        db, user, version.publication.division_code, s.county_division_code
    )


def _county(db: Session, user: User, _p: Mapping[str, Any], s: Settings) -> bool:
    return covers_workspace(db, user, s.county_division_code)


def _self(db: Session, user: User, params: Mapping[str, Any], _s: Settings) -> bool:
    """A saved view named in the path is the user's own."""
    for name in ("view_id", "filter_id"):
        if name in params:
            fid = _int(params, name)
            if fid is None:
                return True
            saved = db.get(SavedFilter, fid)
            return saved is not None and saved.user_id == user.id
    return True


def _managed_user(db: Session, user: User, params: Mapping[str, Any], _s: Settings) -> bool:
    uid = _int(params, "user_id")
    if uid is None:
        return True
    target = db.get(User, uid)
    home = db.get(Organisation, user.org_id) if user.org_id is not None else None
    if target is None or home is None or target.org_id is None:
        return False
    return target.org_id in subtree_ids(db, home)


ScopeCheck = Callable[[Session, User, Mapping[str, Any], Settings], bool]

# Scopes without an entry are checked by the route itself: AREA (scoped queries), PLACES (the
# body), NONE and PUBLIC (nothing to check).
SCOPE_CHECKS: dict[Scope, ScopeCheck] = {
    Scope.WARNING: _warning,
    Scope.ATTACHMENT: _attachment,
    Scope.COMPLAINT: _complaint,
    Scope.PUBLICATION: _publication,
    Scope.VERSION: _version,
    Scope.COUNTY: _county,
    Scope.SELF: _self,
    Scope.USER: _managed_user,
}
