"""Users and organisations (用户与组织) for administrators: the users of their own organisation's
subtree, creating one (with a temporary password), disabling/enabling, unlocking and resetting a
password; the organisation tree and adding a unit below one of theirs.

All of it is qingfeng.operations.admin's work, the same code as `qingfeng users` / `qingfeng orgs`:
scope (the administrator's subtree), role rank and the audit rows are decided there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from qingfeng.operations import admin
from qingfeng.store.models import MAX_ID, ORG_KINDS, ROLES, Organisation, User, utcnow
from qingfeng.store.users import MIN_PASSWORD_LENGTH, UserError
from qingfeng.web.deps import DbDep, csrf_protect, require
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Administrator = Annotated[Principal, Depends(require(Area.USERS))]
FLASH_KEY = "users_flash"
Text = Annotated[str, Form(max_length=200)]
Password = Annotated[str, Form(max_length=256)]


def admin_for(principal: Principal) -> admin.Admin:
    """The store's view of an administrator signed in to the back office: their subtree only."""
    return admin.Admin(
        username=principal.username,
        role=principal.role,
        org_ids=frozenset(principal.org_ids),
        user_id=principal.user_id,
    )


@dataclass(frozen=True)
class OrgRow:
    org: Organisation
    depth: int


def _org_rows(orgs: list[Organisation]) -> list[OrgRow]:
    """The subtree in tree order, each unit indented by its depth below the top one."""
    if not orgs:
        return []
    top = min(o.path.count("/") for o in orgs)
    return [OrgRow(o, o.path.count("/") - top) for o in orgs]


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: Exception | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    acting = admin_for(principal)
    orgs = admin.orgs_in_scope(db, acting)
    users = admin.users_in_scope(db, acting)
    flash = request.session.pop(FLASH_KEY, None)
    return render(
        request,
        "users.html",
        {
            "users": users,
            "orgs": {o.id: o for o in orgs},
            "org_rows": _org_rows(orgs),
            "roles": [r for r in ROLES if acting.may_grant(r)],
            "kinds": ORG_KINDS,
            "now": utcnow(),
            "min_length": MIN_PASSWORD_LENGTH,
            "error": error,
            "form": form or {},
            "flash": flash,
        },
        status_code=status_code,
    )


def _done(request: Request, key: str, **params: Any) -> Response:
    """After a change: back to the list (POST → redirect → GET), with one line saying what."""
    request.session[FLASH_KEY] = {"key": key, "params": params}
    return RedirectResponse("/users", status_code=303)


def _refused(
    request: Request,
    db: Session,
    principal: Principal,
    exc: UserError,
    form: dict[str, str] | None = None,
) -> Response:
    db.rollback()
    if exc.key == "not_found":  # outside the subtree reads as absent
        raise HTTPException(status_code=404, detail=str(exc))
    return _page(request, db, principal, error=exc, form=form, status_code=400)


@router.get("/users", name="users")
def users_page(request: Request, db: DbDep, principal: Administrator) -> Response:
    return _page(request, db, principal)


@router.post("/users")
def create_user(
    request: Request,
    db: DbDep,
    principal: Administrator,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Text = "",
    role: Annotated[str, Form(max_length=30)] = "",
    org_id: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
    password: Password = "",
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role, "org_id": str(org_id)}
    acting = admin_for(principal)
    try:
        org = admin.get_org(db, acting, org_id)
        user = admin.add_user(
            db,
            acting,
            username,
            password,
            role,
            org,
            display_name,
            must_change_password=True,
        )
    except UserError as exc:
        if exc.key == "not_found":  # an organisation outside the subtree: say so on the form
            exc = UserError(str(exc), "org_outside")
        return _refused(request, db, principal, exc, form)
    db.commit()
    return _done(request, "users.done.added", username=user.username)


def _target(db: Session, principal: Principal, user_id: int) -> tuple[admin.Admin, User]:
    acting = admin_for(principal)
    try:
        return acting, admin.get_user(db, acting, user_id)
    except UserError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.post("/users/{user_id}/disable", name="user_disable")
def disable_user(request: Request, db: DbDep, principal: Administrator, user_id: int) -> Response:
    return _set_active(request, db, principal, user_id, False)


@router.post("/users/{user_id}/enable", name="user_enable")
def enable_user(request: Request, db: DbDep, principal: Administrator, user_id: int) -> Response:
    return _set_active(request, db, principal, user_id, True)


def _set_active(
    request: Request, db: Session, principal: Principal, user_id: int, active: bool
) -> Response:
    acting, user = _target(db, principal, user_id)
    try:
        admin.set_active(db, acting, user, active)
    except UserError as exc:
        return _refused(request, db, principal, exc)
    db.commit()
    return _done(
        request, "users.done.enabled" if active else "users.done.disabled", username=user.username
    )


@router.post("/users/{user_id}/unlock", name="user_unlock")
def unlock_user(request: Request, db: DbDep, principal: Administrator, user_id: int) -> Response:
    acting, user = _target(db, principal, user_id)
    try:
        admin.unlock(db, acting, user)
    except UserError as exc:
        return _refused(request, db, principal, exc)
    db.commit()
    return _done(request, "users.done.unlocked", username=user.username)


@router.post("/users/{user_id}/password", name="user_password")
def reset_password(
    request: Request,
    db: DbDep,
    principal: Administrator,
    user_id: int,
    password: Password = "",
) -> Response:
    acting, user = _target(db, principal, user_id)
    try:
        admin.reset_password(db, acting, user, password, must_change=True)
    except UserError as exc:
        return _refused(request, db, principal, exc)
    db.commit()
    return _done(request, "users.done.reset", username=user.username)


@router.post("/users/{user_id}/email", name="user_email")
def set_email(
    request: Request,
    db: DbDep,
    principal: Administrator,
    user_id: int,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """The address the user's reminders are e-mailed to (blank: none); validated, audited."""
    acting, user = _target(db, principal, user_id)
    try:
        admin.set_email(db, acting, user, email)
    except UserError as exc:
        return _refused(request, db, principal, exc)
    db.commit()
    return _done(request, "users.done.email", username=user.username)


@router.post("/users/orgs", name="org_add")
def add_org(
    request: Request,
    db: DbDep,
    principal: Administrator,
    parent_id: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
    name: Text = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"parent_id": str(parent_id), "name": name, "kind": kind, "code": code}
    acting = admin_for(principal)
    try:
        parent = admin.get_org(db, acting, parent_id)
        org = admin.add_org(db, acting, name, kind, code or None, parent)
    except UserError as exc:
        if exc.key == "not_found":
            exc = UserError(str(exc), "org_outside")
        return _refused(request, db, principal, exc, form)
    db.commit()
    return _done(request, "users.done.org_added", name=org.name)
