"""Who may open which page. Actions on a warning are decided by the closed loop's state machine;
this table only says which areas of the back office a role reaches."""

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


_ALL = frozenset(Area)

PERMISSIONS: dict[Role, frozenset[Area]] = {
    Role.ADMINISTRATOR: _ALL - {Area.UNMASK},
    Role.MODEL_BUILDER: frozenset({Area.DASHBOARD, Area.WARNINGS, Area.MODELS, Area.DATA}),
    Role.SUPERVISOR: frozenset(
        {
            Area.DASHBOARD,
            Area.WARNINGS,
            Area.EXPORT,
            Area.PEOPLE,
            Area.UNMASK,
            Area.MODELS,
            Area.SUPERVISION,
        }
    ),
    Role.VERIFIER: frozenset({Area.WARNINGS, Area.PEOPLE, Area.UNMASK}),
    Role.LEADER: frozenset(
        {Area.DASHBOARD, Area.WARNINGS, Area.EXPORT, Area.MODELS, Area.SUPERVISION}
    ),
    Role.DATA_OFFICER: frozenset({Area.DATA}),
    Role.AUDITOR: frozenset({Area.AUDIT, Area.DASHBOARD}),
    # 被监督单位: only the warnings dispatched to it (store.scope), names masked
    Role.SUPERVISED_UNIT: frozenset({Area.WARNINGS}),
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


def allows(role: str, area: Area) -> bool:
    try:
        return area in PERMISSIONS[Role(role)]
    except ValueError:
        return False
