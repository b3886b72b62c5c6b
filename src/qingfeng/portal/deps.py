"""Who is acting in the back office. The web app wires the real sign-in by overriding
`current_staff_user` (app.dependency_overrides[current_staff_user] = its own dependency returning a
StaffUser); until then every back-office endpoint answers 401. Roles:

- `data_officer` (or `administrator`): create, approve, publish and withdraw publications;
- `supervisor`, `verifier` (or `administrator`): read complaints (untrusted text, contact data)
  and write replies. Role names are the store's (qingfeng.store.models.ROLES on branch loop).

`header_test_user` is a stand-in for tests and local trials only: it trusts X-Test-User and
X-Test-Roles headers, so it must never be wired in production.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request

from qingfeng.portal.publishing import StaffUser

PUBLICATION_ROLES = frozenset({"data_officer", "administrator"})
COMPLAINT_ROLES = frozenset({"supervisor", "verifier", "administrator"})


def current_staff_user() -> StaffUser:
    raise HTTPException(401, "未登录 / not signed in")


def require_roles(roles: frozenset[str]) -> Callable[..., StaffUser]:
    def dependency(user: StaffUser = Depends(current_staff_user)) -> StaffUser:
        if not roles & user.roles:
            raise HTTPException(
                403, f"需要以下角色之一 / requires one of: {', '.join(sorted(roles))}"
            )
        return user

    return dependency


def header_test_user(request: Request) -> StaffUser:
    user = request.headers.get("x-test-user")
    if not user:
        raise HTTPException(401, "未登录 / not signed in (X-Test-User missing)")
    roles = request.headers.get("x-test-roles", "")
    return StaffUser(id=user, name=user, roles=frozenset(r for r in roles.split(",") if r))
