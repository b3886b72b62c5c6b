"""Operations on warnings for the API, the pages and the CLI. The caller owns the transaction:
open one (`qingfeng.store.db.transaction`), call these, and it commits or rolls back as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qingfeng import audit
from qingfeng.loop import hooks, risk
from qingfeng.loop.config import LoopConfig
from qingfeng.loop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qingfeng.loop.machine import (
    COMMENT_ROLES,
    STATE_LABELS,
    TRANSITIONS,
    ActionRequest,
    Actor,
    apply,
    dispatch_many,
    require_read,
)
from qingfeng.loop.query import WarningQuery
from qingfeng.store.models import (
    MAX_ID,
    Comment,
    Organisation,
    SavedFilter,
    User,
    Warning,
    WarningEvent,
    WarningLine,
    utcnow,
)
from qingfeng.store.scope import can_see_warning


def actor_for(
    session: Session, user: User, config: LoopConfig, now: datetime | None = None
) -> Actor:
    if not user.active:
        raise PermissionDenied(f"user {user.username} is inactive")
    return Actor(session, user, config, now or utcnow())


def get_warning(actor: Actor, warning_id: int) -> Warning:
    """The warning if the user may see it; NotFound otherwise (out of scope looks the same)."""
    require_read(actor.user)
    in_range = 1 <= warning_id <= MAX_ID  # larger ids cannot exist (and PostgreSQL would raise)
    warning = can_see_warning(actor.session, actor.user, warning_id) if in_range else None
    if warning is None:
        raise NotFound(f"预警 {warning_id} 不存在或不在您的范围内 / warning {warning_id} not found")
    return warning


def act(actor: Actor, warning_id: int, action: str, req: ActionRequest) -> Warning:
    """Apply one action to one warning. Conflict if someone changed it since `req.version`."""
    warning = get_warning(actor, warning_id)
    if req.version is not None and req.version != warning.version:
        raise Conflict(
            f"预警 {warning_id} 已被他人修改（版本 {req.version} → {warning.version}），"
            f"请刷新后重试 / warning {warning_id} was changed by someone else "
            f"(version {req.version} → {warning.version}); reload and try again"
        )
    try:
        apply(actor, warning, action, req)
        actor.session.flush()
        risk.refresh_after_action(actor.session, actor.config, warning, action)
    except StaleDataError:
        raise Conflict(
            f"预警 {warning_id} 刚被他人修改，本次操作未保存，请刷新后重试 / "
            f"warning {warning_id} was changed by someone else at the same moment; "
            "nothing was saved, reload and try again"
        ) from None
    return warning


def comment(actor: Actor, warning_id: int, body: str) -> Comment:
    if actor.user.role not in COMMENT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not comment")
    body = body.strip()
    if not body:
        raise InvalidInput("comment body is empty")
    if len(body) > 10_000:
        raise InvalidInput("comment is longer than 10,000 characters")
    warning = get_warning(actor, warning_id)
    note = Comment(warning_id=warning.id, author_id=actor.user.id, at=actor.now, body=body)
    actor.session.add(note)
    actor.session.flush()
    actor.session.add(
        WarningEvent(
            warning_id=warning.id,
            at=actor.now,
            actor_id=actor.user.id,
            action="comment",
            from_state=warning.status,
            to_state=warning.status,
            payload={"comment_id": note.id},
        )
    )
    audit.append(
        actor.session,
        actor.user.username,
        "warning.comment",
        "warning",
        warning.id,
        {"comment_id": note.id},
    )
    return note


def timeline(actor: Actor, warning_id: int) -> list[WarningEvent]:
    warning = get_warning(actor, warning_id)
    return list(
        actor.session.scalars(
            select(WarningEvent)
            .where(WarningEvent.warning_id == warning.id)
            .order_by(WarningEvent.at, WarningEvent.id)
        )
    )


def comments(actor: Actor, warning_id: int) -> list[Comment]:
    warning = get_warning(actor, warning_id)
    return list(
        actor.session.scalars(
            select(Comment).where(Comment.warning_id == warning.id).order_by(Comment.id)
        )
    )


# --- bulk dispatch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    dispatched: int
    by_org: dict[int, int]


def route_by_division(session: Session, root: Organisation) -> list[tuple[str, int]]:
    """(prefix, org id) of the units below `root` with an area, longest prefix first."""
    rows = session.execute(
        select(Organisation.division_code, Organisation.id).where(
            Organisation.path.startswith(root.path), Organisation.division_code.is_not(None)
        )
    ).all()
    return sorted(((code, oid) for code, oid in rows if code), key=lambda r: -len(r[0]))


def bulk_dispatch(
    actor: Actor,
    warning_ids: Sequence[int],
    org_id: int | None = None,
    *,
    chunk: int = 2000,
    instructions: str | None = None,
    days: int | None = None,
) -> BulkResult:
    """Dispatch many warnings at once, all or nothing.

    With `org_id` every warning goes to that unit; without it each goes to the deepest unit of
    the actor's organisation whose area contains the warning's division code. Every warning must
    be in the actor's scope and in state new or returned, else nothing is dispatched and the
    error names the first offenders. Set-based: a few UPDATEs per severity, events and one audit
    row per warning written with executemany.

    `days` is the deadline in working days for the whole verification (办理期限), counted from
    today; without it the verifying stage gets its model's declared number or its severity's
    default when the unit signs for it (LoopConfig.verify_days).
    `instructions` go on every warning's timeline with the dispatch.
    """
    instructions = (instructions or "").strip() or None
    if instructions and len(instructions) > 10_000:
        raise InvalidInput("instructions: longer than 10,000 characters")
    if days is not None and not 1 <= days <= 365:
        raise InvalidInput(f"days: {days} is not between 1 and 365 working days")
    t = TRANSITIONS["dispatch"]
    if actor.user.role not in t.roles:
        raise PermissionDenied(f"role {actor.user.role} may not dispatch")
    home = actor.session.get(Organisation, actor.user.org_id) if actor.user.org_id else None
    if home is None:
        raise PermissionDenied(f"user {actor.user.username} belongs to no organisation")
    ids = sorted(set(warning_ids))
    if not ids:
        return BulkResult(0, {})
    impossible = [i for i in ids if not 1 <= i <= MAX_ID]
    if impossible:
        raise NotFound(f"warnings not found or outside your scope: {_few(impossible)}")
    from qingfeng.store.scope import warning_scope_clause

    scope = warning_scope_clause(actor.session, actor.user)
    found: dict[int, tuple[str, str, str | None, int]] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for wid, status, severity, code, version in actor.session.execute(
            select(
                Warning.id,
                Warning.status,
                Warning.severity,
                Warning.division_code,
                Warning.version,
            ).where(Warning.id.in_(part), scope)
        ):
            found[wid] = (status, severity, code, version)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"warnings not found or outside your scope: {_few(missing)}")
    wrong = [i for i in ids if found[i][0] not in t.sources]
    if wrong:
        states = {found[i][0] for i in wrong}
        raise InvalidInput(
            f"{len(wrong)} warnings cannot be dispatched from state(s) "
            f"{', '.join(sorted(states))}: {_few(wrong)}"
        )
    if org_id is not None:
        from qingfeng.loop.machine import _unit

        target_of = dict.fromkeys(ids, _unit(actor, org_id).id)
    else:
        routes = route_by_division(actor.session, home)
        target_of = {}
        unroutable = []
        for i in ids:
            code = found[i][2] or ""
            match = next((oid for prefix, oid in routes if code.startswith(prefix)), None)
            if match is None:
                unroutable.append(i)
            else:
                target_of[i] = match
        if unroutable:
            raise InvalidInput(
                f"no unit's area contains the division code of warnings {_few(unroutable)}; "
                "dispatch them to a unit explicitly"
            )
    clock = actor.clock
    now = actor.now
    due_in: dict[int, Any] = {}  # working days → the deadline, computed once per number

    def due(n: int) -> Any:
        if n not in due_in:
            due_in[n] = clock.due(now, n)
        return due_in[n]

    names = dict(
        actor.session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(set(target_of.values()))
            )
        ).all()
    )
    # Each warning's new values depend only on its unit and severity: one combination row per
    # (unit, severity) holds them and the timeline entry's payload, so the writes below are
    # one UPDATE and one INSERT … SELECT whatever the number of warnings.
    combo_of: dict[tuple[int, str], int] = {}
    combos: list[dict[str, Any]] = []
    for i in ids:
        key = (target_of[i], found[i][1])
        if key in combo_of:
            continue
        combo_of[key] = len(combos)
        org, severity = key
        due_at = due(actor.config.deadlines["dispatched"][severity])
        combos.append(
            {
                "combo": len(combos),
                "org_id": org,
                "due_at": due_at,
                "requested_due_at": due(days) if days else None,
                "payload": {
                    "org_id": org,
                    "org": names[org],
                    "due_at": due_at.isoformat(),
                    **({"days": days, "requested_due_at": due(days).isoformat()} if days else {}),
                    **({"instructions": instructions} if instructions else {}),
                    "bulk": True,
                },
            }
        )
    staged = [
        {"id": i, "version": found[i][3], "from_state": found[i][0],
         "combo": combo_of[(target_of[i], found[i][1])]}
        for i in ids
    ]  # fmt: skip
    conn = actor.session.connection()
    changed = dispatch_many(conn, staged, combos, now, actor.user.id)
    if changed != len(ids):
        raise Conflict(
            f"{len(ids) - changed} of {len(ids)} warnings were changed by someone else during "
            "the bulk dispatch; nothing was dispatched, reload and try again"
        )
    audit.append_many(
        actor.session,
        [
            # the same detail as the single action's (qingfeng.loop.machine.apply)
            audit.AuditEntry(
                actor.user.username,
                "warning.dispatch",
                "warning",
                str(i),
                {"from": found[i][0], "to": "dispatched", **combos[row["combo"]]["payload"]},
            )
            for i, row in zip(ids, staged, strict=True)
        ],
    )
    # Objects already loaded in this session are now stale.
    actor.session.expire_all()
    for start in range(0, len(ids), chunk):
        hooks.after_status_change(actor.session, ids[start : start + chunk], actor.user.username)
    by_org: dict[int, int] = {}
    for i in ids:
        by_org[target_of[i]] = by_org.get(target_of[i], 0) + 1
    return BulkResult(len(ids), by_org)


def _few(ids: Sequence[int], n: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:n])
    return shown + (f" … (+{len(ids) - n})" if len(ids) > n else "")


# --- saved filters ----------------------------------------------------------------------------


def save_filter(actor: Actor, name: str, query: dict[str, Any]) -> SavedFilter:
    name = name.strip()
    if not name:
        raise InvalidInput("filter name is empty")
    try:  # refuse filters the list would reject later
        WarningQuery.model_validate(query)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"filter {name!r}: {where}: {first['msg']}") from None
    existing = actor.session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == actor.user.id, SavedFilter.name == name)
    )
    if existing is not None:
        existing.query = query
        return existing
    saved = SavedFilter(user_id=actor.user.id, name=name, query=query, created_at=actor.now)
    actor.session.add(saved)
    actor.session.flush()
    return saved


def saved_filters(actor: Actor) -> list[SavedFilter]:
    return list(
        actor.session.scalars(
            select(SavedFilter)
            .where(SavedFilter.user_id == actor.user.id)
            .order_by(SavedFilter.name)
        )
    )


def delete_filter(actor: Actor, filter_id: int) -> None:
    saved = actor.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != actor.user.id:
        raise NotFound(f"saved filter {filter_id} not found")
    actor.session.delete(saved)


def state_counts(actor: Actor) -> dict[str, int]:
    """Warnings in scope per state (for overviews)."""
    from qingfeng.store.scope import warning_scope_clause

    require_read(actor.user)
    rows = actor.session.execute(
        select(Warning.status, func.count())
        .where(warning_scope_clause(actor.session, actor.user))
        .group_by(Warning.status)
    ).all()
    counts = dict.fromkeys(STATE_LABELS, 0)
    counts.update({status: n for status, n in rows})
    return counts


# --- leads: evidence lines and related leads on one subject -----------------------------------


def lines(actor: Actor, warning_id: int) -> list[WarningLine]:
    """The evidence lines of a lead (the hits it is made of), latest period first. A lead of one
    line stores no line row: its own finding is its line (a transient WarningLine)."""
    warning = get_warning(actor, warning_id)
    stored = list(
        actor.session.scalars(
            select(WarningLine)
            .where(WarningLine.warning_id == warning.id)
            .order_by(WarningLine.period.desc(), WarningLine.id.desc())
        )
    )
    if stored:
        return stored
    return [
        WarningLine(
            warning_id=warning.id,
            fingerprint=warning.fingerprint,
            period=warning.period,
            severity=warning.severity,
            amount=warning.amount,
            explanation=warning.explanation,
            evidence=warning.evidence,
            present=warning.present,
            first_run_id=warning.first_run_id,
            last_run_id=warning.last_run_id,
        )
    ]


def related(actor: Actor, warning_id: int, limit: int = 200) -> list[Warning]:
    """Other leads on the same subject (any model) that the user may see, newest first."""
    from qingfeng.store.scope import scoped_warnings

    warning = get_warning(actor, warning_id)
    return list(
        actor.session.scalars(
            scoped_warnings(actor.session, actor.user)
            .where(
                Warning.subject_type == warning.subject_type,
                Warning.subject_id == warning.subject_id,
                Warning.id != warning.id,
            )
            .order_by(Warning.id.desc())
            .limit(limit)
        )
    )


def mergeable_related(actor: Actor, warning_id: int) -> list[Warning]:
    """The related leads that can join this one as one case: in a state merge accepts, not
    merged already; none when this lead itself cannot take them."""
    target = get_warning(actor, warning_id)
    if target.status in ("merged", "archived"):
        return []
    sources = TRANSITIONS["merge"].sources
    return [w for w in related(actor, warning_id) if w.status in sources]


def merge_related(actor: Actor, warning_id: int) -> list[int]:
    """Handle the related leads of a subject as one case: merge every mergeable related lead
    into this one (each merge checked, recorded on its timeline and audited by the machine).
    Returns the ids merged; InvalidInput when there is nothing to merge."""
    others = mergeable_related(actor, warning_id)
    if not others:
        raise InvalidInput(
            f"预警 {warning_id} 没有可合并的同一对象相关线索 / warning {warning_id} has no "
            "related lead on its subject that can be merged"
        )
    for other in others:
        act(actor, other.id, "merge", ActionRequest(target_id=warning_id))
    return [w.id for w in others]
