"""Change my password (修改密码): every signed-in user, including one whose administrator gave
them a temporary password (they are sent here first). The rules are the CLI's
(qingfeng.store.users.check_password), the work qingfeng.operations.admin.change_own_password's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from qingfeng.operations import admin
from qingfeng.store.models import User
from qingfeng.store.sessions import revoke_user
from qingfeng.store.users import MIN_PASSWORD_LENGTH, UserError
from qingfeng.web import accounts
from qingfeng.web.deps import (
    PASSWORD_PAGE,
    STAMP_SESSION_KEY,
    DbDep,
    NotSignedIn,
    PrincipalDep,
    csrf_protect,
)
from qingfeng.web.roles import HOME, Role
from qingfeng.web.session_middleware import session_key
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Password = Annotated[str, Form(max_length=256)]
EMAIL_PAGE = "/account/email"  # the address reminders are e-mailed to (on the account page)


@router.get(PASSWORD_PAGE, name="account_password")
def password_page(request: Request, db: DbDep, principal: PrincipalDep) -> Response:
    return render(
        request,
        "account_password.html",
        _context(principal.must_change_password, email=_own_email(db, principal.user_id)),
    )


def _context(must_change: bool, **extra: object) -> dict[str, object]:
    return {"must_change": must_change, "min_length": MIN_PASSWORD_LENGTH, **extra}


def _own_email(db: DbDep, user_id: int) -> str:
    user = db.get(User, user_id)
    return (user.email or "") if user is not None else ""


@router.post(PASSWORD_PAGE)
def change_password(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    current: Password = "",
    new: Password = "",
    repeat: Password = "",
) -> Response:
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotSignedIn
    try:
        admin.change_own_password(db, user, current, new, repeat)
    except UserError as exc:
        db.commit()  # the failed attempt is counted and audited
        if exc.key == "locked":
            request.session.clear()  # five wrong guesses: signed out, like at the sign-in form
            return RedirectResponse("/login", status_code=303)
        return render(
            request,
            "account_password.html",
            _context(principal.must_change_password, error=exc),
            status_code=400,
        )
    # This session stays signed in with the new password; every other session of the user ends.
    revoke_user(db, user.id, keep=session_key(request))
    db.commit()
    request.session[STAMP_SESSION_KEY] = accounts.session_stamp(user.password_hash)
    return render(
        request,
        "account_password.html",
        _context(False, done=True, home=HOME[Role(principal.role)]),
    )


@router.post(EMAIL_PAGE, name="account_email")
def change_email(
    request: Request,
    db: DbDep,
    principal: PrincipalDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """My own address for reminders (blank: none); validated and audited as mine."""
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotSignedIn
    try:
        admin.set_own_email(db, user, email)
    except UserError as exc:
        db.rollback()
        return render(
            request,
            "account_password.html",
            _context(principal.must_change_password, email=email, email_error=exc),
            status_code=400,
        )
    db.commit()
    return RedirectResponse(f"{PASSWORD_PAGE}?email=saved", status_code=303)
