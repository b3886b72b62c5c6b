"""The public portal inside the back-office app: public pages under /public and the portal's
staff API (publications, complaints), with the back office's sign-in and CSRF in front of it.

The portal leaves `qingfeng.portal.deps.current_staff_user` as the seam for sign-in; this module
fills it with the signed-in back-office user, so one session serves both.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request

from qingfeng.portal.deps import current_staff_user, staff_user_from_user
from qingfeng.portal.publishing import StaffUser
from qingfeng.web.api.deps import current_user
from qingfeng.web.deps import PrincipalDep, csrf_protect
from qingfeng.web.i18n import Translator
from qingfeng.web.scope import Principal

PUBLIC_PREFIX = "/public"


def staff_user_for(principal: Principal) -> StaffUser:
    """The portal's view of a back-office user. The username is the id the portal records as
    creator / approver / publisher (unique and readable in the audit trail)."""
    return StaffUser(
        id=principal.username,
        name=principal.display_name,
        roles=frozenset({principal.role}),
    )


def signed_in_staff_user(principal: PrincipalDep) -> StaffUser:
    return staff_user_for(principal)


def web_staff_user(request: Request) -> StaffUser:
    """`current_staff_user` for the back office: the user signed in to the web app, as its API
    sees them (`qingfeng.web.api.deps.current_user`: signed session + CSRF header on unsafe
    methods, or HTTP Basic; an inactive, locked or signed-out user gets 401)."""
    with request.app.state.sessions() as db:
        return staff_user_from_user(current_user(request, db))


def mount_portal(app: FastAPI) -> None:
    """Include the public pages and the staff API on `app`, sharing its store engine."""
    from qingfeng.portal import build_backoffice_router, build_portal_router

    settings = app.state.settings
    app.include_router(
        build_portal_router(settings, factory=app.state.sessions, prefix=PUBLIC_PREFIX)
    )
    # The staff API is reached with the session cookie, so unsafe calls need the CSRF header
    # exactly like the back office's own /api/v1.
    app.include_router(
        build_backoffice_router(
            settings,
            factory=app.state.sessions,
            static_prefix=PUBLIC_PREFIX,
            status_label=lambda status: Translator("zh").maybe(f"status.{status}", status),
        ),
        dependencies=[Depends(csrf_protect)],
    )
    app.dependency_overrides[current_staff_user] = signed_in_staff_user
