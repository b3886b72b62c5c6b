"""Administering users and organisations: the one implementation behind `qingfeng users ...`,
`qingfeng orgs ...` and the back office's Users page.

Every operation takes an `Admin`, the person acting: a back-office administrator reaches only
their own organisation's subtree and may not grant a role ranked above their own; the CLI's
operator (`Admin.cli()`, who holds the workspace anyway) reaches the whole tree. Each change
writes its audit row (who, what, to whom) in the caller's transaction; passwords and their
hashes never reach the audit log. The caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.store.models import MAX_ID, Organisation, User, utcnow
from qingfeng.store.sessions import revoke_user
from qingfeng.store.users import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    UserError,
    check_password,
    create_org,
    create_user,
    hash_password,
    org_by_code_or_id,
    verify_password,
)

# Roles that administer users and organisations (web/roles.py gives them the Users area).
ADMIN_ROLES = frozenset({"administrator"})
# A role may grant only roles ranked at most its own: an administrator outranks every other role.
ROLE_RANK = {"administrator": 1}


def role_rank(role: str) -> int:
    return ROLE_RANK.get(role, 0)


@dataclass(frozen=True)
class Admin:
    """Who administers, and how far they reach."""

    username: str
    role: str = "administrator"
    org_ids: frozenset[int] | None = None  # their organisation's subtree; None: the whole tree
    user_id: int | None = None

    @classmethod
    def cli(cls) -> Admin:
        """The operator at the command line (audited as "cli")."""
        return cls("cli")

    def may_grant(self, role: str) -> bool:
        return self.org_ids is None or role_rank(role) <= role_rank(self.role)

    def reaches(self, org_id: int | None) -> bool:
        if self.org_ids is None:
            return True
        return org_id is not None and org_id in self.org_ids


def _not_found(zh: str, en: str, ref: object) -> UserError:
    # Outside the subtree and absent read the same: nobody learns what lies beyond their scope.
    return UserError(f"找不到{zh} {ref!r} / no {en} {ref!r}", "not_found", ref=str(ref))


# ------------------------------------------------------------------------------- reading
def orgs_in_scope(session: Session, admin: Admin) -> list[Organisation]:
    """The organisations the admin reaches, in tree order (parents before children)."""
    query = select(Organisation).order_by(Organisation.path)
    if admin.org_ids is not None:
        query = query.where(Organisation.id.in_(admin.org_ids))
    return list(session.scalars(query))


def users_in_scope(session: Session, admin: Admin) -> list[User]:
    """The users of the organisations the admin reaches (the CLI also sees users with none)."""
    query = select(User).outerjoin(Organisation, Organisation.id == User.org_id)
    if admin.org_ids is not None:
        query = query.where(User.org_id.in_(admin.org_ids))
    return list(session.scalars(query.order_by(Organisation.path, User.username)))


def get_user(session: Session, admin: Admin, ref: int | str) -> User:
    """A user by id or username, if the admin reaches them."""
    if isinstance(ref, int):
        user = session.get(User, ref) if 0 < ref <= MAX_ID else None
    else:
        user = session.scalar(select(User).where(User.username == ref))
    if user is None or not (admin.org_ids is None or admin.reaches(user.org_id)):
        raise _not_found("用户", "user", ref)
    return user


def get_org(session: Session, admin: Admin, ref: int | str) -> Organisation:
    """An organisation by id (an int), or by division code, id or exact name (a string)."""
    if isinstance(ref, int):
        org = session.get(Organisation, ref) if 0 < ref <= MAX_ID else None
    else:
        org = org_by_code_or_id(session, ref.strip())
    if org is None or not admin.reaches(org.id):
        raise _not_found("组织", "organisation", ref)
    return org


# ------------------------------------------------------------------------------- users
def add_user(
    session: Session,
    admin: Admin,
    username: str,
    password: str,
    role: str,
    org: Organisation,
    display_name: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """Create a user in `org` (inside the admin's subtree, with a role not above theirs)."""
    if not admin.reaches(org.id):
        raise _not_found("组织", "organisation", org.id)
    if not admin.may_grant(role):
        raise UserError(
            f"不能创建高于自己角色的用户 / you may not create a user with role {role!r}, "
            "above your own",
            "role_above",
            role=role,
        )
    user = create_user(
        session,
        username,
        password,
        role,
        org.id,
        display_name,
        must_change_password=must_change_password,
    )
    audit.append(
        session,
        admin.username,
        "user.add",
        "user",
        user.id,
        {
            "username": user.username,
            "role": role,
            "org_id": org.id,
            "must_change_password": must_change_password,
        },
    )
    return user


def _may_manage(admin: Admin, user: User, action: str) -> None:
    if not admin.may_grant(user.role):
        raise UserError(
            f"不能管理高于自己角色的用户 / you may not {action} a user ranked above you",
            "role_above",
            role=user.role,
        )


def set_active(session: Session, admin: Admin, user: User, active: bool) -> None:
    """Disable (sign-in refused, open sessions end) or enable an account."""
    _may_manage(admin, user, "disable" if not active else "enable")
    if not active and admin.user_id is not None and user.id == admin.user_id:
        raise UserError("不能停用自己的账户 / you may not disable your own account", "self_disable")
    user.active = active
    if not active:
        revoke_user(session, user.id)
    action = "user.enable" if active else "user.disable"
    audit.append(session, admin.username, action, "user", user.id, {"username": user.username})


def unlock(session: Session, admin: Admin, user: User) -> None:
    """Lift a lock-out after too many failed sign-ins."""
    _may_manage(admin, user, "unlock")
    user.locked_until = None
    user.failed_logins = 0
    audit.append(
        session, admin.username, "user.unlock", "user", user.id, {"username": user.username}
    )


def reset_password(
    session: Session, admin: Admin, user: User, password: str, *, must_change: bool = True
) -> None:
    """Give a user a new password (temporary unless `must_change` is False); their open sessions
    end and a lock-out is lifted."""
    _may_manage(admin, user, "reset the password of")
    if admin.user_id is not None and user.id == admin.user_id:
        raise UserError(
            "请用“修改密码”修改自己的密码 / change your own password with “change my password”",
            "self_reset",
        )
    check_password(password, user.username)
    _set_password(user, password, must_change=must_change)
    revoke_user(session, user.id)
    user.locked_until = None
    user.failed_logins = 0
    audit.append(
        session,
        admin.username,
        "user.password_reset",
        "user",
        user.id,
        {"username": user.username, "must_change_password": must_change},
    )


# local@domain.tld: no spaces, control characters, quotes, brackets or list separators (a
# header could be forged with them); the domain has a dot and no empty label.
_ADDR = r"[^@\s<>,;\"()\[\]\\\x00-\x1f\x7f]"
_EMAIL = re.compile(rf"{_ADDR}+@(?:{_ADDR.replace('@', '@.')}+\.)+{_ADDR.replace('@', '@.')}+")


def checked_email(email: str | None) -> str | None:
    """The address as stored (trimmed; None when blank), or UserError naming it."""
    value = (email or "").strip() or None
    if value is not None and (len(value) > 254 or not _EMAIL.fullmatch(value)):
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise UserError(
            f"电子邮件地址无效 / not an e-mail address: {shown!r}", "email_invalid", email=shown
        )
    return value


def set_email(session: Session, admin: Admin, user: User, email: str | None) -> None:
    """Set (or clear, with None or "") the address reminders are e-mailed to."""
    _may_manage(admin, user, "change the e-mail of")
    _store_email(session, admin.username, user, checked_email(email))


def set_own_email(session: Session, user: User, email: str | None) -> None:
    """A signed-in user sets (or clears) their own address; audited as theirs."""
    _store_email(session, user.username, user, checked_email(email))


def _store_email(session: Session, actor: str, user: User, value: str | None) -> None:
    previous = user.email
    user.email = value
    audit.append(
        session,
        actor,
        "user.email",
        "user",
        user.id,
        {"username": user.username, "email": value, "previous": previous},
    )


def _set_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()


def change_own_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    repeat: str,
    now: datetime | None = None,
) -> None:
    """A signed-in user replaces their password. A wrong current password counts as a failed
    sign-in (five lock the account), and is audited; the caller commits in both cases."""
    now = now or utcnow()
    if not verify_password(user.password_hash, current):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            revoke_user(session, user.id)
        audit.append(
            session,
            user.username,
            "user.password_change_failed",
            "user",
            user.id,
            {"locked": locked},
        )
        raise UserError(
            "当前密码不正确 / the current password is wrong",
            "locked" if locked else "wrong_current",
        )
    if new != repeat:
        raise UserError("两次输入的新密码不一致 / the new passwords differ", "password_mismatch")
    check_password(new, user.username)
    if new == current:
        raise UserError(
            "新密码不能与当前密码相同 / the new password must differ from the current one",
            "password_same",
        )
    _set_password(user, new, must_change=False)
    user.failed_logins = 0
    audit.append(session, user.username, "user.password_change", "user", user.id, {})


# ------------------------------------------------------------------------------- organisations
def add_org(
    session: Session,
    admin: Admin,
    name: str,
    kind: str,
    code: str | None,
    parent: Organisation | None,
) -> Organisation:
    """Add a unit below `parent` (which the admin must reach; only the CLI may add a root)."""
    if parent is None and admin.org_ids is not None:
        raise UserError("请选择上级单位 / choose the parent unit", "org_parent_needed")
    if parent is not None and not admin.reaches(parent.id):
        raise _not_found("组织", "organisation", parent.id)
    org = create_org(session, name, kind, code, parent)
    audit.append(
        session,
        admin.username,
        "org.add",
        "organisation",
        org.id,
        {
            "name": org.name,
            "kind": kind,
            "code": org.division_code or "",
            "parent_id": org.parent_id,
        },
    )
    return org
