"""SQLAlchemy 2 models of the workflow store. Schema changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Integer primary keys are 32-bit on PostgreSQL: a larger id in a request is refused up front
# (with the field named) instead of failing in the database.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend: stored in UTC, read back aware (UTC).

    (SQLite keeps no time zone: without this, values come back naive and compare wrongly.)
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values are taken to be UTC already
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class ModelRun(Base):
    """One execution of one supervision model: what it read, found and how long it took."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_group: Mapped[str] = mapped_column(String(40), index=True)  # one `qingfeng run` call
    model_id: Mapped[str] = mapped_column(String(80), index=True)
    model_version: Mapped[str] = mapped_column(String(20))
    engine: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    new_warnings: Mapped[int] = mapped_column(Integer, default=0)
    still_present: Mapped[int] = mapped_column(Integer, default=0)
    no_longer_present: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # migration 0720_run_profile: the parameter profile and the values the run was compiled with
    profile: Mapped[str | None] = mapped_column(String(80))
    parameters: Mapped[str | None] = mapped_column(Text)  # JSON {name: value}, every parameter


class Warning(Base):
    """A warning (预警): one model's finding about one subject in one period."""

    __tablename__ = "warnings"
    __table_args__ = (
        Index("ix_warnings_status_severity", "status", "severity"),
        # migration 0530_outcome_index: a model's outcomes counted from the index alone
        Index("ix_warnings_model_status_finding", "model_id", "status", "finding"),
        # migration 0003: one index per sort order of the list (see qingfeng.loop.query.SORTS)
        Index("ix_warnings_created_id", "created_at", "id"),
        Index("ix_warnings_status_created_id", "status", "created_at", "id"),
        Index("ix_warnings_due_sort", text("(due_at IS NULL)"), "due_at", "id"),
        Index(
            "ix_warnings_amount_sort",
            text("(amount IS NULL)"),
            text("amount DESC"),
            text("id DESC"),
        ),
        Index("ix_warnings_model_created_id", "model_id", "created_at", "id"),
        Index(
            "ix_warnings_model_amount_sort",
            "model_id",
            text("(amount IS NULL)"),
            text("amount DESC"),
            text("id DESC"),
        ),
        # migration 0200_web_indexes: overdue work, and names searched by prefix
        Index("ix_warnings_status_due_at", "status", "due_at"),
        Index("ix_warnings_subject_name", "subject_name"),
        # migration 0510_queues: a unit's queues (its own state, by deadline); the risk order below
        Index(
            "ix_warnings_org_status_due_sort",
            "org_id",
            "status",
            text("(due_at IS NULL)"),
            "due_at",
            "id",
        ),
        # migration 0740_period_index: the list's period filter (the big screen's trend drills in)
        Index("ix_warnings_period", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    model_id: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_name: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    explanation: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="new")
    present: Mapped[bool] = mapped_column(default=True)  # found by the latest run of its model
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic locking

    # --- the closed loop (migration 0002). `status` is the loop state, see qingfeng.loop.machine.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stage_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # confirmed | partly_confirmed | unfounded | cannot_verify (qingfeng.loop.machine.FINDINGS)
    finding: Mapped[str | None] = mapped_column(String(20))
    finding_note: Mapped[str | None] = mapped_column(Text)
    # measure codes (qingfeng.loop.machine.MEASURES), e.g. ["case_opened", "funds_recovered"]
    measures: Mapped[list[str]] = mapped_column(JSON, default=list)
    funds_recovered: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    rectification_report: Mapped[str | None] = mapped_column(Text)  # the unit's feedback
    follow_up_note: Mapped[str | None] = mapped_column(Text)  # did the rectification hold?
    # Indexed: the portal finds the complaints merged into a warning after each of its transitions.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # --- queues and risk (migration 0510_queues; qingfeng.loop.risk, qingfeng.loop.queues)
    # The risk score (0–100) and the parts it is the sum of, recomputed set-based after each
    # run and after outcomes change; the list's default order.
    risk_score: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    risk_parts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The deadline the dispatcher set for the whole verification (办理期限), if any; the
    # verifying stage runs against it instead of the default for the severity.
    requested_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The findings a verifier or the supervised unit submitted for review (待审核): statement,
    # proposed finding, rectification plan; cleared when the supervisor approves or sends back.
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __mapper_args__ = {"version_id_col": version}


# --- leads (migration 0500_routing) ------------------------------------------------------------
# A Warning is a lead (线索): one model's finding about one subject. Its evidence lines are the
# hits that make it up (the months, payments or bids), each keyed by the per-period fingerprint
# of the hit; the lead's severity is the worst line's, its amount their sum
# (qingfeng.store.warnings_sync). A lead is fingerprinted by the line that opened it.


class WarningLine(Base):
    """One evidence line of a lead: one hit (subject × period) of the lead's model."""

    __tablename__ = "warning_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    period: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    explanation: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- end of leads -------------------------------------------------------------------------------


# migration 0510_queues: the ranked list, walked in order (the queues ordered by risk walk it
# too: open warnings rank above closed ones, so a page of a queue is found near the top).
Index("ix_warnings_risk_sort", Warning.risk_score.desc(), Warning.id.desc())


ROLES = (
    "administrator",
    "model_builder",
    "supervisor",
    "verifier",
    "leader",
    "data_officer",
    "auditor",
    "supervised_unit",  # 被监督单位: a township or department answering for what is routed to it
)

# "department": a supervised unit (a township government, a county department) whose users
# answer the warnings dispatched to it.
ORG_KINDS = ("province", "city", "county", "township", "team", "department")


class Organisation(Base):
    """A unit that receives warnings: province → city → county → township, or a dispatched team.

    `division_code` is the GB/T 2260 prefix of the area the unit supervises (e.g. "522701" for a
    county); warnings whose division_code starts with it are in the unit's scope. A dispatched team
    (派驻纪检监察组) has no area: it sees what is dispatched to it. `path` is the materialised
    path of ids ("/1/4/9/") so a subtree is one indexed prefix match.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # one of ORG_KINDS
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])


class User(Base):
    """A person who signs in. Passwords are argon2 hashes (qingfeng.store.users)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # one of ROLES
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # migration 0400_password_change: an initial or reset password is changed at first sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # migration 0520_notify: where reminders are e-mailed (none: in the app only)
    email: Mapped[str | None] = mapped_column(String(254))

    org: Mapped[Organisation | None] = relationship()


class Case(Base):
    """A case record (立案) that a lead was promoted to; several warnings may share one."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WarningEvent(Base):
    """The timeline of a warning: every transition, comment and attachment, who and when."""

    __tablename__ = "warning_events"
    __table_args__ = (Index("ix_warning_events_warning_at", "warning_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))  # a transition name, "comment", "attach"
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)


class Attachment(Base):
    """A file attached to a warning, kept as attachments/<sha256> (type and size capped)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display only
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # migration 0510_queues: the action or comment the file came with (None: attached alone)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("warning_events.id"))


class SavedFilter(Base):
    """A user's named warning filter (the query parameters of the list, as JSON)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditLog(Base):
    """Append-only, hash-chained audit log (qingfeng.audit). Never updated or deleted:
    database triggers refuse it, and `qingfeng audit verify` detects it if someone bypasses them."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))  # username, or "system"/"cli:<name>"
    action: Mapped[str] = mapped_column(String(60))  # e.g. warning.dispatch, warning.view
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # migration 0600_sessions: HMAC of `hash` under the audit key kept outside the store
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash of the audit chain. Updating it first makes
    concurrent writers queue up, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    hash: Mapped[str] = mapped_column(String(64))


# --- reminders, escalation and notifications (migration 0520_notify) ---------------------------

# The 督办 ranking counts each unit's open, overdue, due-soon and escalated warnings from this
# index alone (index-only scan): 0.1 s instead of 2 s for a county at a million warnings.
Index(
    "ix_warnings_org_open",
    Warning.org_id,
    Warning.status,
    Warning.paused,
    Warning.due_at,
    Warning.escalation_level,
)


class Notification(Base):
    """A message to one user in the app (临期 / 超期 reminders, escalations), read or unread;
    `email_status` says whether it also went out by e-mail."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | overdue | escalated
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: in the app only (no mail server, or the user has no address); pending | sent
    email_status: Mapped[str | None] = mapped_column(String(20))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderLog(Base):
    """What the daily reminder job has done, once per warning, stage, deadline and kind: the
    unique key is what keeps a re-run (or two runs at once) from reminding twice."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint(
            "warning_id", "stage", "due_at", "kind", "step", name="uq_reminder_log_once"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    stage: Mapped[str] = mapped_column(String(20))  # the warning's state when reminded
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the deadline it was about
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | overdue | escalated
    step: Mapped[int] = mapped_column(Integer, default=0)  # escalations: 1, 2, ... per deadline
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- sessions and sign-in throttling (migration 0600_sessions) ----------------------------------


class WebSession(Base):
    """A signed-in (or about to sign in) browser. `id` is the SHA-256 of the cookie's random
    token, so a copy of the store does not hand out live cookies."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SignInThrottle(Base):
    """Failed sign-ins under one key (`account:<name>`, `client:<address>` or both) and the
    time before which that key may not try again."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Pre-payment screening tables share the metadata (qingfeng.store.screening_models).
from qingfeng.store import screening_models as _screening_models  # noqa: E402, F401
from qingfeng.store import shared_models as _shared_models  # noqa: E402, F401
