"""Who is acting in the back office. The web app wires the real sign-in by overriding
`current_staff_user` (app.dependency_overrides[current_staff_user] = its own dependency returning a
StaffUser); until then every back-office endpoint answers 401. Roles:

- `data_officer` (or `administrator`): create, approve, publish and withdraw publications;
- `supervisor`, `verifier` (or `administrator`): read complaints (untrusted text, contact data)
  and write replies. Role names are the store's (qingfeng.store.models.ROLES).

- any role that reads warnings (`DASHBOARD_ROLES`): complaint trends for the dashboard.

Complaints are further limited to the user's organisational scope (`portal.staff`), so the
StaffUser must map to a store user: `user_id`, or a store user whose username is `id`.

The back office wires its sign-in in `qingfeng.web.portal_mount` (the portal never imports the
web package).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException

from qingfeng.portal.publishing import StaffUser
from qingfeng.store.models import User

PUBLICATION_ROLES = frozenset({"data_officer", "administrator"})
COMPLAINT_ROLES = frozenset({"supervisor", "verifier", "administrator"})
# The loop's READ_ROLES: aggregate complaint counts hold no personal data.
DASHBOARD_ROLES = frozenset(
    {"administrator", "supervisor", "verifier", "leader", "model_builder", "auditor"}
)


def current_staff_user() -> StaffUser:
    raise HTTPException(401, "未登录 / not signed in")


def staff_user_from_user(user: User) -> StaffUser:
    """The portal's view of a store user: username (audit actor, four-eyes check), display
    name, role, and the store id whose organisation scopes complaints."""
    return StaffUser(
        id=user.username,
        name=user.display_name or user.username,
        roles=frozenset({user.role}),
        user_id=user.id,
    )


def require_roles(roles: frozenset[str]) -> Callable[..., StaffUser]:
    def dependency(user: StaffUser = Depends(current_staff_user)) -> StaffUser:
        if not roles & user.roles:
            raise HTTPException(
                403, f"需要以下角色之一 / requires one of: {', '.join(sorted(roles))}"
            )
        return user

    return dependency
