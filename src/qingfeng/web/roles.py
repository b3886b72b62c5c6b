"""Which permissions each role holds. Every route of the back office, its API and the portal's
staff API names the one permission it needs in `qingfeng.web.policy`; this table says which
roles hold it. Which action a role may take on a warning in which state is the closed loop's
state machine (a test keeps `ACT` equal to the roles it names)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    MODEL_BUILDER = "model_builder"
    SUPERVISOR = "supervisor"
    VERIFIER = "verifier"
    LEADER = "leader"
    DATA_OFFICER = "data_officer"
    AUDITOR = "auditor"
    SUPERVISED_UNIT = "supervised_unit"


class Area(StrEnum):
    DASHBOARD = "dashboard"
    WARNINGS = "warnings"
    EXPORT = "export"  # download the warnings list as CSV
    PEOPLE = "people"
    UNMASK = "unmask"  # see a full ID number, with a reason that is audited
    MODELS = "models"
    DATA = "data"
    AUDIT = "audit"
    USERS = "users"
    SUPERVISION = "supervision"  # 督办: units ranked by overdue work, letters to units
    ACCOUNT = "account"  # one's own account, notifications and the API's who-am-I: everyone
    ACT = "act"  # take a closed-loop action on a warning (dispatch, accept, dispose, ...)
    COMMENT = "comment"  # comment on a warning and attach files to it
    ATTACHMENTS = "attachments"  # download the files attached to a warning
    RUN_MODELS = "run_models"  # start a model run over the lake
    UPLOAD = "upload"  # upload department files and ingest them
    PUBLICATIONS = "publications"  # draft, approve, publish, withdraw disclosures; portal places
    COMPLAINTS = "complaints"  # read complaints (contact data) and draft replies
    RELEASE = "release"  # release a payment that pre-payment screening held or stopped


_ALL = frozenset(Area)

_EVERYONE = frozenset({Area.ACCOUNT})
# Handling a warning: act on it, comment, read its files.
_HANDLE = frozenset({Area.ACT, Area.COMMENT, Area.ATTACHMENTS})

PERMISSIONS: dict[Role, frozenset[Area]] = {
    # Runs the platform; sees no full ID number (no case of its own to justify one).
    Role.ADMINISTRATOR: _ALL - {Area.UNMASK},
    # Builds models: the list and the data, never a person, a file or a complaint.
    Role.MODEL_BUILDER: _EVERYONE
    | {Area.DASHBOARD, Area.WARNINGS, Area.MODELS, Area.DATA, Area.RUN_MODELS},
    Role.SUPERVISOR: _EVERYONE
    | _HANDLE
    | {
        Area.DASHBOARD,
        Area.WARNINGS,
        Area.EXPORT,
        Area.PEOPLE,
        Area.UNMASK,
        Area.MODELS,
        Area.SUPERVISION,
        Area.COMPLAINTS,
        Area.RELEASE,
    },
    Role.VERIFIER: _EVERYONE | _HANDLE | {Area.WARNINGS, Area.PEOPLE, Area.UNMASK, Area.COMPLAINTS},
    # Oversees: reads and comments, acts through the supervisors (no transition names it).
    Role.LEADER: _EVERYONE
    | {
        Area.DASHBOARD,
        Area.WARNINGS,
        Area.EXPORT,
        Area.MODELS,
        Area.SUPERVISION,
        Area.COMMENT,
        Area.ATTACHMENTS,
    },
    Role.DATA_OFFICER: _EVERYONE | {Area.DATA, Area.UPLOAD, Area.PUBLICATIONS},
    # Audits the platform: the audit log and aggregate figures, never a warning itself.
    Role.AUDITOR: _EVERYONE | {Area.AUDIT, Area.DASHBOARD},
    # 被监督单位: only the warnings dispatched to it (store.scope), names masked
    Role.SUPERVISED_UNIT: _EVERYONE | _HANDLE | {Area.WARNINGS},
}

# Where a role lands after signing in: the people who act land on their first work queue
# (qingfeng.loop.queues.ROLE_QUEUES).
HOME: dict[Role, str] = {
    Role.ADMINISTRATOR: "/dashboard",
    Role.MODEL_BUILDER: "/models",
    Role.SUPERVISOR: "/warnings?queue=to_dispatch",
    Role.VERIFIER: "/warnings?queue=to_accept",
    Role.SUPERVISED_UNIT: "/warnings?queue=to_accept",
    Role.LEADER: "/dashboard",
    Role.DATA_OFFICER: "/data",
    Role.AUDITOR: "/audit",
}


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}; choose one of: {allowed}") from None


def roles_with(area: Area) -> frozenset[str]:
    """The roles that hold a permission."""
    return frozenset(role.value for role, areas in PERMISSIONS.items() if area in areas)


def allows(role: str, area: Area) -> bool:
    try:
        return area in PERMISSIONS[Role(role)]
    except ValueError:
        return False
