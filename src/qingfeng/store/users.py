"""Users and organisations: creating them, passwords (argon2) and the organisation tree."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.divisions import ORG_CODE_LENGTH, org_code_problem
from qingfeng.store.models import MAX_ID, ORG_KINDS, ROLES, Organisation, User, utcnow

# Five wrong current passwords at "change my password" (a signed-in session guessing) lock the
# account for LOCKOUT; sign-in failures are throttled instead (qingfeng.store.throttle).
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

# The order of levels in the tree: a child must sit below its parent (a team below anything).
_LEVEL = {"province": 0, "city": 1, "county": 2, "township": 3}
# Units without an area of their own, below the unit that dispatches to them: a dispatched team
# (派驻组), a supervised department or township government (被监督单位, kind "department").
UNIT_KINDS_WITHOUT_AREA = frozenset({"team", "department"})
# Sign-in names: what the sign-in form accepts (64 characters at most), without spaces.
USERNAME_RE = re.compile(r"[^\s\x00-\x1f]{1,64}")


MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A user or organisation cannot be created or changed as asked; the message says why.

    `key` and `params` name the reason for the back office, which shows it in the reader's
    language (`users.error.<key>` in web/messages.yaml); the message itself is for the CLI.
    """

    def __init__(self, message: str, key: str = "", **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def check_password(password: str, username: str = "") -> None:
    """The strength rule for every password (CLI, back office, reset, change): 8 characters at
    least. Raises UserError naming the user, never echoing the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        who = f" of {username!r}" if username else ""
        raise UserError(
            f"密码太短，至少 {MIN_PASSWORD_LENGTH} 个字符 / password{who} is too short "
            f"({MIN_PASSWORD_LENGTH} characters at least)",
            "password_short",
            min=MIN_PASSWORD_LENGTH,
        )


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_org(
    session: Session,
    name: str,
    kind: str,
    division_code: str | None,
    parent: Organisation | None = None,
) -> Organisation:
    """Add a unit to the tree. `division_code` is the prefix of the area it supervises."""
    name = name.strip()
    if not name:
        raise UserError("单位名称不能为空 / the unit needs a name", "org_name_empty")
    if kind not in ORG_KINDS:
        raise UserError(
            f"unknown organisation kind {kind!r}; expected one of {ORG_KINDS}",
            "org_kind",
            kind=kind,
        )
    division_code = (division_code or "").strip() or None
    problem = org_code_problem(kind, division_code)
    if problem:
        raise UserError(
            f"{name}: {problem}",
            "org_code",
            code=division_code or "",
            length=ORG_CODE_LENGTH.get(kind, 0),
        )
    if kind in UNIT_KINDS_WITHOUT_AREA:
        if parent is None:
            raise UserError(f"dispatched team {name!r} needs a parent unit", "org_team_parent")
    elif parent is not None:
        if parent.kind != "team" and _LEVEL[kind] <= _LEVEL[parent.kind]:
            raise UserError(
                f"a {kind} cannot sit below a {parent.kind} ({name!r})",
                "org_level",
                kind=kind,
                parent=parent.kind,
            )
        if parent.kind == "team":
            raise UserError(f"{name!r}: only teams may have a team as parent", "org_team_child")
        if (
            division_code
            and parent.division_code
            and not division_code.startswith(parent.division_code)
        ):
            raise UserError(
                f"division code {division_code} of {name!r} is outside its parent's "
                f"{parent.division_code}",
                "org_outside_parent",
                code=division_code,
                parent_code=parent.division_code,
            )
    org = Organisation(
        name=name, kind=kind, division_code=division_code or None, parent=parent, path=""
    )
    session.add(org)
    session.flush()  # the id is part of the path
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    org_id: int | None,
    display_name: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """Add a user with an argon2 password hash. With `must_change_password` the password is a
    temporary one that the back office makes the user replace at first sign-in."""
    if role not in ROLES:
        raise UserError(
            f"unknown role {role!r}; expected one of {ROLES}", "role_unknown", role=role
        )
    username = username.strip()
    if not username:
        raise UserError("username must not be empty", "username_empty")
    if not USERNAME_RE.fullmatch(username):
        raise UserError(
            f"用户名不能含空格，最多 64 个字符 / username {username!r} may not hold spaces and "
            "has 64 characters at most",
            "username_chars",
        )
    check_password(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists", "username_taken", username=username)
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise UserError(f"organisation {org_id} does not exist", "org_missing", org=org_id)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        org_id=org_id,
        active=True,
        failed_logins=0,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Made by this hasher, so checking it costs exactly what checking a real password costs.
    return _hasher().hash("qingfeng: no such account")


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> User | None:
    """The user if the password is right and the account is active and not locked.

    Every path checks one argon2 hash (a dummy one for unknown, disabled or locked accounts), so
    the answer takes the same time whether the name exists or not. A wrong password is counted
    on the user; repeated failures are slowed down by qingfeng.store.throttle, never turned into
    a lock that a stranger could set off. The caller commits.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or is_locked(user, now):
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    user.last_login_at = now
    return user


def org_by_code_or_id(session: Session, ref: str) -> Organisation | None:
    """An organisation by numeric id, exact division code, or exact name."""
    if ref.isdigit():
        org = session.scalar(select(Organisation).where(Organisation.division_code == ref))
        if org is not None:
            return org
        return session.get(Organisation, int(ref)) if int(ref) <= MAX_ID else None
    return session.scalar(select(Organisation).where(Organisation.name == ref))
