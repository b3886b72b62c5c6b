"""The authorisation policy (授权策略) of every door, as data: route → permission and scope.

Every route of the app `create_app` builds — back-office pages, /api/v1, the portal's staff API
and its public pages — has one entry, keyed by HTTP method and path template exactly as the
route table spells it. An entry says

- which permission (`qingfeng.web.roles.Area`) the caller's role must hold; `None` means anyone,
  signed in or not (the sign-in page, the public portal);
- which scope the object the route touches has (`Scope`): the warning named in the path must be
  one the user's organisation sees, a publication must lie in the user's area, the lake's data
  belongs to the workspace's county, and so on.

`qingfeng.web.authz.enforce_policy` applies the entry before the route runs, for every route
alike, so a page and the API call doing the same thing cannot disagree. A route without an entry
is refused (403) at run time, and `tests/test_authz_matrix.py` fails naming it: adding a route
means adding one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qingfeng.web.roles import Area


class Scope(StrEnum):
    """Where the object a route touches lives, and so who among the permitted may touch it."""

    NONE = "none"  # nothing personal and no object (the state machine, a run's progress)
    SELF = "self"  # the user's own account, notifications and saved views
    AREA = "area"  # a collection read inside the user's scope (lists, searches, dashboards)
    WARNING = "warning"  # {warning_id}: a warning the user's scope holds (store.scope)
    ATTACHMENT = "attachment"  # {attachment_id}: a file of such a warning
    COMPLAINT = "complaint"  # {complaint_no}: a complaint whose warning the user sees
    PUBLICATION = "publication"  # {publication_id}: a disclosure located in the user's area
    VERSION = "version"  # {version_id}: a version of such a disclosure
    PLACES = "places"  # portal places named in the body, each inside the user's area
    COUNTY = "county"  # the workspace's county: lake, uploads, quality, quarantine, audit log
    USER = "user"  # {user_id}: a user of the administrator's organisation subtree
    PUBLIC = "public"  # the public side: no account, no personal data beyond the asker's own
    KEY = "key"  # a paying system's API key, checked by the route: its datasets and areas


@dataclass(frozen=True)
class Rule:
    permission: Area | None
    scope: Scope

    @property
    def public(self) -> bool:
        return self.permission is None


def _r(permission: Area | None, scope: Scope) -> Rule:
    return Rule(permission, scope)


PUBLIC = Rule(None, Scope.PUBLIC)
# No session permission: the route's own dependency checks the paying system's key.
KEY = Rule(None, Scope.KEY)
A = Area
S = Scope

# (method, path template) → rule. Keep the order of the route table, one line a route.
POLICY: dict[tuple[str, str], Rule] = {
    # -- sign-in and one's own account
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/account/password"): _r(A.ACCOUNT, S.SELF),
    ("POST", "/account/password"): _r(A.ACCOUNT, S.SELF),
    ("POST", "/account/email"): _r(A.ACCOUNT, S.SELF),
    ("GET", "/"): _r(A.ACCOUNT, S.SELF),
    ("GET", "/notifications"): _r(A.ACCOUNT, S.SELF),
    ("POST", "/notifications/read"): _r(A.ACCOUNT, S.SELF),
    # -- supervision (督办) and letters
    ("GET", "/supervision"): _r(A.SUPERVISION, S.AREA),
    ("GET", "/warnings/{warning_id}/letter"): _r(A.SUPERVISION, S.WARNING),
    ("POST", "/warnings/{warning_id}/letter"): _r(A.SUPERVISION, S.WARNING),
    # -- warnings: pages
    ("GET", "/warnings"): _r(A.WARNINGS, S.AREA),
    ("POST", "/warnings/bulk-dispatch"): _r(A.ACT, S.AREA),
    ("POST", "/warnings/views"): _r(A.WARNINGS, S.SELF),
    ("POST", "/warnings/views/{view_id}/delete"): _r(A.WARNINGS, S.SELF),
    ("GET", "/warnings/export.csv"): _r(A.EXPORT, S.AREA),
    ("GET", "/warnings/{warning_id}"): _r(A.WARNINGS, S.WARNING),
    ("POST", "/warnings/{warning_id}/reveal"): _r(A.UNMASK, S.WARNING),
    ("POST", "/warnings/{warning_id}/actions/{action}"): _r(A.ACT, S.WARNING),
    ("POST", "/warnings/{warning_id}/merge-related"): _r(A.ACT, S.WARNING),
    ("GET", "/warnings/attachments/{attachment_id}"): _r(A.ATTACHMENTS, S.ATTACHMENT),
    ("POST", "/warnings/{warning_id}/comments"): _r(A.COMMENT, S.WARNING),
    # -- dashboard, audit, models
    ("GET", "/dashboard"): _r(A.DASHBOARD, S.AREA),
    ("GET", "/dashboard/screen"): _r(A.DASHBOARD, S.AREA),
    ("GET", "/audit"): _r(A.AUDIT, S.COUNTY),
    ("GET", "/audit/verify"): _r(A.AUDIT, S.COUNTY),
    ("GET", "/models"): _r(A.MODELS, S.AREA),
    ("POST", "/models/run"): _r(A.RUN_MODELS, S.COUNTY),
    ("GET", "/models/run/progress"): _r(A.MODELS, S.NONE),
    ("GET", "/models/{model_id}"): _r(A.MODELS, S.AREA),
    # -- data (the workspace county's lake)
    ("GET", "/data"): _r(A.DATA, S.COUNTY),
    ("GET", "/data/quality"): _r(A.DATA, S.COUNTY),
    ("GET", "/data/quarantine/{batch_id}"): _r(A.DATA, S.COUNTY),
    ("POST", "/data/upload"): _r(A.UPLOAD, S.COUNTY),
    ("POST", "/data/upload/{token}/edit"): _r(A.UPLOAD, S.COUNTY),
    ("POST", "/data/upload/{token}/confirm"): _r(A.UPLOAD, S.COUNTY),
    ("POST", "/data/upload/{token}/cancel"): _r(A.UPLOAD, S.COUNTY),
    ("POST", "/data/screen"): _r(A.UPLOAD, S.COUNTY),
    ("GET", "/data/screen/{report_id}/{fmt}"): _r(A.UPLOAD, S.COUNTY),
    # -- people (数字画像)
    ("POST", "/people/graph"): _r(A.PEOPLE, S.AREA),
    ("GET", "/people"): _r(A.PEOPLE, S.AREA),
    ("POST", "/people"): _r(A.PEOPLE, S.AREA),
    ("GET", "/people/w/{warning_id}"): _r(A.PEOPLE, S.WARNING),
    ("GET", "/people/w/{warning_id}/report.xlsx"): _r(A.PEOPLE, S.WARNING),
    ("POST", "/people/w/{warning_id}"): _r(A.PEOPLE, S.WARNING),
    # -- users and organisations
    ("GET", "/users"): _r(A.USERS, S.AREA),
    ("POST", "/users"): _r(A.USERS, S.AREA),
    ("POST", "/users/{user_id}/disable"): _r(A.USERS, S.USER),
    ("POST", "/users/{user_id}/enable"): _r(A.USERS, S.USER),
    ("POST", "/users/{user_id}/unlock"): _r(A.USERS, S.USER),
    ("POST", "/users/{user_id}/password"): _r(A.USERS, S.USER),
    ("POST", "/users/{user_id}/email"): _r(A.USERS, S.USER),
    ("POST", "/users/orgs"): _r(A.USERS, S.AREA),
    # -- /api/v1: the closed loop
    ("GET", "/api/v1/warnings"): _r(A.WARNINGS, S.AREA),
    ("GET", "/api/v1/warnings/export"): _r(A.EXPORT, S.AREA),
    ("GET", "/api/v1/warnings/{warning_id}"): _r(A.WARNINGS, S.WARNING),
    ("POST", "/api/v1/warnings/{warning_id}/actions/{action}"): _r(A.ACT, S.WARNING),
    ("POST", "/api/v1/warnings/bulk-dispatch"): _r(A.ACT, S.AREA),
    ("GET", "/api/v1/warnings/{warning_id}/timeline"): _r(A.WARNINGS, S.WARNING),
    ("GET", "/api/v1/warnings/{warning_id}/lines"): _r(A.WARNINGS, S.WARNING),
    ("POST", "/api/v1/warnings/{warning_id}/merge-related"): _r(A.ACT, S.WARNING),
    ("GET", "/api/v1/warnings/{warning_id}/comments"): _r(A.WARNINGS, S.WARNING),
    ("POST", "/api/v1/warnings/{warning_id}/comments"): _r(A.COMMENT, S.WARNING),
    ("GET", "/api/v1/warnings/{warning_id}/attachments"): _r(A.ATTACHMENTS, S.WARNING),
    ("POST", "/api/v1/warnings/{warning_id}/attachments"): _r(A.COMMENT, S.WARNING),
    ("GET", "/api/v1/attachments/{attachment_id}"): _r(A.ATTACHMENTS, S.ATTACHMENT),
    ("GET", "/api/v1/outcomes"): _r(A.MODELS, S.AREA),
    ("GET", "/api/v1/digest"): _r(A.WARNINGS, S.AREA),
    ("GET", "/api/v1/filters"): _r(A.WARNINGS, S.SELF),
    ("POST", "/api/v1/filters"): _r(A.WARNINGS, S.SELF),
    ("DELETE", "/api/v1/filters/{filter_id}"): _r(A.WARNINGS, S.SELF),
    ("GET", "/api/v1/me"): _r(A.ACCOUNT, S.SELF),
    # -- pre-payment screening: paying systems by API key (no session), release by supervisors
    ("POST", "/api/v1/screen"): KEY,
    ("GET", "/api/v1/screen/{request_id}"): KEY,
    ("POST", "/api/v1/screen/{request_id}/release"): _r(A.RELEASE, S.AREA),
    ("GET", "/api/v1/screen-funds"): _r(A.DASHBOARD, S.AREA),
    # the paying systems' keys: administrators of the deployment
    ("GET", "/screen-keys"): _r(A.USERS, S.COUNTY),
    ("POST", "/screen-keys"): _r(A.USERS, S.COUNTY),
    ("POST", "/screen-keys/{prefix}/rotate"): _r(A.USERS, S.COUNTY),
    ("POST", "/screen-keys/{prefix}/revoke"): _r(A.USERS, S.COUNTY),
    ("GET", "/api/v1/organisations"): _r(A.ACCOUNT, S.AREA),
    ("GET", "/api/v1/transitions"): _r(A.ACCOUNT, S.NONE),
    # -- health and metrics: no personal data; /metrics checks its own bearer token
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # -- the public portal
    ("GET", "/public/static/{name}"): PUBLIC,
    ("GET", "/public"): PUBLIC,
    ("GET", "/public/"): PUBLIC,
    ("GET", "/public/disclosures"): PUBLIC,
    ("GET", "/public/disclosures/{publication_id}"): PUBLIC,
    ("GET", "/public/query"): PUBLIC,
    ("GET", "/public/query/{publication_id}"): PUBLIC,
    ("POST", "/public/query/{publication_id}"): PUBLIC,
    ("GET", "/public/complaints/new"): PUBLIC,
    ("POST", "/public/complaints"): PUBLIC,
    ("GET", "/public/track"): PUBLIC,
    ("POST", "/public/track"): PUBLIC,
    # -- the portal's staff API: disclosures and places
    ("GET", "/api/v1/publications"): _r(A.PUBLICATIONS, S.AREA),
    ("POST", "/api/v1/publications"): _r(A.PUBLICATIONS, S.AREA),
    ("POST", "/api/v1/publications/{publication_id}/versions"): _r(A.PUBLICATIONS, S.PUBLICATION),
    ("GET", "/api/v1/publications/versions/{version_id}/preview"): _r(A.PUBLICATIONS, S.VERSION),
    ("POST", "/api/v1/publications/versions/{version_id}/approve"): _r(A.PUBLICATIONS, S.VERSION),
    ("POST", "/api/v1/publications/versions/{version_id}/publish"): _r(A.PUBLICATIONS, S.VERSION),
    ("POST", "/api/v1/publications/versions/{version_id}/withdraw"): _r(A.PUBLICATIONS, S.VERSION),
    ("PUT", "/api/v1/portal/divisions"): _r(A.PUBLICATIONS, S.PLACES),
    # -- the portal's staff API: complaints
    ("GET", "/api/v1/complaints"): _r(A.COMPLAINTS, S.AREA),
    ("GET", "/api/v1/complaints/analytics"): _r(A.COMPLAINTS, S.AREA),
    ("GET", "/api/v1/complaints/trends"): _r(A.DASHBOARD, S.AREA),
    ("GET", "/api/v1/complaints/linked"): _r(A.COMPLAINTS, S.AREA),
    ("GET", "/api/v1/complaints/{complaint_no}"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("PUT", "/api/v1/complaints/{complaint_no}/reply"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("GET", "/api/v1/complaints/{complaint_no}/links"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("POST", "/api/v1/complaints/{complaint_no}/links"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("DELETE", "/api/v1/complaints/{complaint_no}/links/{link_id}"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("GET", "/api/v1/complaints/{complaint_no}/attachments/{sha256}"): _r(
        A.COMPLAINTS, S.COMPLAINT
    ),
    ("GET", "/staff/complaints/{complaint_no}"): _r(A.COMPLAINTS, S.COMPLAINT),
    # -- portal operations in the back office: disclosures and the complaints workbench
    ("GET", "/portal/publications"): _r(A.PUBLICATIONS, S.AREA),
    ("GET", "/portal/publications/new"): _r(A.PUBLICATIONS, S.AREA),
    ("POST", "/portal/publications"): _r(A.PUBLICATIONS, S.AREA),
    ("GET", "/portal/publications/{publication_id}"): _r(A.PUBLICATIONS, S.PUBLICATION),
    ("POST", "/portal/publications/{publication_id}/versions"): _r(A.PUBLICATIONS, S.PUBLICATION),
    ("GET", "/portal/publications/{publication_id}/correct"): _r(A.PUBLICATIONS, S.PUBLICATION),
    ("POST", "/portal/publications/versions/{version_id}/approve"): _r(A.PUBLICATIONS, S.VERSION),
    ("POST", "/portal/publications/versions/{version_id}/publish"): _r(A.PUBLICATIONS, S.VERSION),
    ("POST", "/portal/publications/versions/{version_id}/withdraw"): _r(A.PUBLICATIONS, S.VERSION),
    ("GET", "/portal/complaints"): _r(A.COMPLAINTS, S.AREA),
    ("GET", "/portal/complaints/{complaint_no}"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("POST", "/portal/complaints/{complaint_no}/contact"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("POST", "/portal/complaints/{complaint_no}/reply"): _r(A.COMPLAINTS, S.COMPLAINT),
    ("POST", "/portal/complaints/{complaint_no}/note"): _r(A.COMPLAINTS, S.COMPLAINT),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD answers as GET), or None when the route has none."""
    rule = POLICY.get((method, path))
    if rule is None and method == "HEAD":
        rule = POLICY.get(("GET", path))
    return rule
