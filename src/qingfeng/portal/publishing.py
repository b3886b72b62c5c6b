"""Back-office side of disclosures: draft → approved (by a different user) → published → withdrawn.

Publishing copies masked rows from the lake (one DuckDB query, vectorised masking and HMAC) into
`portal_published_rows`, so the public side never queries personal data live and a withdrawal takes
effect on the next request. Each call is one unit of work inside the caller's session/transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from qingfeng import audit
from qingfeng.portal.errors import Conflict, Forbidden, NotFound, PortalError
from qingfeng.portal.keys import SEP, derive_key, duckdb_hmac_sql, hmac_pads
from qingfeng.portal.kinds import KINDS, Column, Kind
from qingfeng.portal.models import Publication, PublicationVersion, PublishedRow
from qingfeng.store.models import utcnow

_DIVISION_RE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


@dataclass(frozen=True)
class StaffUser:
    """Who acts in the back office; `id` is what approval compares (creator ≠ approver) and the
    actor written to the audit log (the store's username). `user_id` is the store user
    (`qingfeng.store.models.User.id`) whose organisational scope applies to complaints; when it is
    None the store user named `id` is looked up (see `portal.staff.store_user`)."""

    id: str
    name: str = ""
    roles: frozenset[str] = frozenset()
    user_id: int | None = None


@dataclass(frozen=True)
class VersionSpec:
    """What a data officer fills in for a version."""

    title: str
    filters: dict[str, str]
    body: str = ""
    eligibility: str = ""
    self_query: bool = False
    verification: str | None = None
    columns: tuple[str, ...] | None = None  # the kind's column keys to show; None: all


def _kind(kind_id: str) -> Kind:
    try:
        return KINDS[kind_id]
    except KeyError:
        raise PortalError(
            f"未知的公开类别 {kind_id!r}；可选：{', '.join(KINDS)}", field="kind"
        ) from None


def validate_spec(kind: Kind, spec: VersionSpec) -> None:
    """Every problem with the spec, reported at once."""
    problems: list[str] = []
    if not spec.title.strip() or len(spec.title) > 200:
        problems.append("title: 标题必填，且不超过200字")
    allowed = {f.key: f for f in kind.filters}
    for key, value in spec.filters.items():
        f = allowed.get(key)
        if f is None:
            problems.append(
                f"filters.{key}: 此类别不支持该筛选条件（可选：{', '.join(allowed) or '无'}）"
            )
        elif not isinstance(value, str) or not re.fullmatch(f.pattern, value):
            problems.append(f"filters.{key}: 取值 {value!r} 格式不正确")
    if spec.columns is not None and kind.dataset is not None:
        known = {c.key for c in kind.columns}
        unknown = [c for c in spec.columns if c not in known]
        if unknown:
            problems.append(
                f"columns: 此类别没有列 {', '.join(unknown)}（可选：{', '.join(sorted(known))}）"
            )
        elif not spec.columns:
            problems.append("columns: 至少选择一列公开 / choose at least one column")
    if kind.dataset is None and not spec.body.strip():
        problems.append("body: 政策类公开须填写正文")
    if spec.self_query and not kind.supports_self_query:
        problems.append(f"self_query: {kind.label} 不支持自助查询")
    elif spec.self_query and not kind.verifications:
        # ID number and name are known to neighbours, clerks and anyone holding a copy of a
        # roll: without a second item only the person knows, a self-query shows anyone's rows.
        problems.append(
            f"self_query: {kind.label} 的数据中没有只有本人知道的核验项（如发放账号或手机号"
            "后四位），不能开放自助查询"
        )
    if spec.verification is not None:
        if spec.verification not in kind.verifications:
            problems.append(
                f"verification: 未知的核验项 {spec.verification!r}"
                f"（可选：{', '.join(kind.verifications) or '无'}）"
            )
        elif not spec.self_query:
            problems.append("verification: 仅在开启自助查询时可设置核验项")
    if problems:
        raise PortalError("；".join(problems), field=problems[0].split(":")[0])


def _verification(kind: Kind, spec: VersionSpec) -> str | None:
    """The second item a self-query asks for: the one chosen, else the kind's first."""
    if not spec.self_query:
        return None
    return spec.verification or next(iter(kind.verifications), None)


def create_publication(
    session: Session,
    *,
    kind: str,
    division_code: str | None,
    spec: VersionSpec,
    user: StaffUser,
) -> PublicationVersion:
    """A new publication with version 1 as a draft."""
    k = _kind(kind)
    validate_spec(k, spec)
    if division_code is not None and not _DIVISION_RE.match(division_code):
        raise PortalError(
            f"division_code: {division_code!r} 不是6、9或12位行政区划代码", "division_code"
        )
    pub = Publication(
        kind=k.id, title=spec.title.strip(), division_code=division_code, created_by=user.id
    )
    session.add(pub)
    session.flush()
    return _add_version(session, pub, 1, spec, user)


def create_version(
    session: Session, publication_id: int, spec: VersionSpec, user: StaffUser
) -> PublicationVersion:
    """A new draft version of an existing publication (the published one stays until replaced)."""
    pub = get_publication(session, publication_id)
    validate_spec(_kind(pub.kind), spec)
    last = max((v.version_no for v in pub.versions), default=0)
    return _add_version(session, pub, last + 1, spec, user)


def _add_version(
    session: Session, pub: Publication, version_no: int, spec: VersionSpec, user: StaffUser
) -> PublicationVersion:
    version = PublicationVersion(
        publication_id=pub.id,
        version_no=version_no,
        state="draft",
        title=spec.title.strip(),
        filters=dict(spec.filters),
        body=spec.body,
        eligibility=spec.eligibility,
        self_query=spec.self_query,
        verification=_verification(_kind(pub.kind), spec),
        row_count=0,
        shown_columns=_shown_keys(_kind(pub.kind), spec.columns),
        created_by=user.id,
    )
    session.add(version)
    session.flush()
    _audit(session, user, "publication.draft", version)
    return version


def _shown_keys(kind: Kind, columns: tuple[str, ...] | None) -> list[str] | None:
    """The chosen column keys in the kind's order; None when all are shown."""
    if not columns or kind.dataset is None:
        return None
    keys = [c.key for c in kind.shown(columns)]
    return None if len(keys) == len(kind.columns) else keys


def shown_columns(version: PublicationVersion) -> tuple[Column, ...]:
    """The columns a version publishes, with their labels and masking."""
    return _kind(version.publication.kind).shown(version.shown_columns)


def get_publication(session: Session, publication_id: int) -> Publication:
    pub = session.get(Publication, publication_id)
    if pub is None:
        raise NotFound(f"公开事项 {publication_id} 不存在")
    return pub


def get_version(
    session: Session, version_id: int, *, for_update: bool = False
) -> PublicationVersion:
    stmt = select(PublicationVersion).where(PublicationVersion.id == version_id)
    if for_update:
        stmt = stmt.with_for_update()
    version = session.scalars(stmt).one_or_none()
    if version is None:
        raise NotFound(f"版本 {version_id} 不存在")
    return version


def approve_version(session: Session, version_id: int, user: StaffUser) -> PublicationVersion:
    """Approve a draft. The approver must not be its author (四眼原则)."""
    version = get_version(session, version_id, for_update=True)
    if version.state != "draft":
        raise Conflict(f"版本 {version_id} 当前状态为 {version.state}，只有草稿可以审批")
    if user.id == version.created_by:
        raise Forbidden("审批人不能是起草人本人 / the approver must be a different user")
    version.state = "approved"
    version.approved_by = user.id
    version.approved_at = utcnow()
    _audit(session, user, "publication.approve", version)
    return version


def snapshot_sql(
    kind: Kind, filters: dict[str, str], columns: tuple[Column, ...] | None = None
) -> tuple[str, list[Any]]:
    """The DuckDB query copying masked rows, with its bound parameters after the 4 key pads
    (person ipad/opad, verify ipad/opad) and the verification expression chosen by the caller."""
    assert kind.dataset is not None
    where: list[str] = []
    params: list[Any] = []
    by_key = {f.key: f for f in kind.filters}
    for key in sorted(filters):
        where.append(by_key[key].sql)
        params.append(filters[key])
    cols = ",\n  ".join(f"{c.sql} AS {c.key}" for c in (columns or kind.columns))
    sql = (
        f"SELECT\n  {cols}\nFROM {kind.dataset} t"
        + (f"\nWHERE {' AND '.join(where)}" if where else "")
        + f"\nORDER BY {kind.order_by}"
    )
    return sql, params


def _snapshot_query(kind: Kind, version: PublicationVersion, secret_key: str) -> tuple[str, list]:
    base_sql, params = snapshot_sql(kind, version.filters, kind.shown(version.shown_columns))
    extra_cols = [f"{kind.division_sql} AS _division" if kind.division_sql else "NULL AS _division"]
    pads: list[Any] = []
    if version.self_query and kind.id_sql and kind.name_sql:
        ip, op = hmac_pads(derive_key(secret_key, "person"))
        msg = (
            f"upper(trim({kind.id_sql})) || chr({ord(SEP)}) || "
            f"regexp_replace({kind.name_sql}, '\\s', '', 'g')"
        )
        extra_cols.append(f"{duckdb_hmac_sql(msg, '$1', '$2')} AS _person_hash")
        pads += [ip, op]
        if version.verification:
            vip, vop = hmac_pads(derive_key(secret_key, "verify"))
            answer = kind.verifications[version.verification].sql
            vmsg = f"upper(trim({kind.id_sql})) || chr({ord(SEP)}) || upper(trim({answer}))"
            extra_cols.append(f"{duckdb_hmac_sql(vmsg, '$3', '$4')} AS _verify_hash")
            pads += [vip, vop]
        else:
            extra_cols.append("NULL AS _verify_hash")
    else:
        extra_cols += ["NULL AS _person_hash", "NULL AS _verify_hash"]
    # Positional `?` and numbered `$n` cannot be mixed: renumber the filter parameters.
    n = len(pads)
    numbered = base_sql
    for i in range(len(params)):
        numbered = numbered.replace("?", f"${n + i + 1}", 1)
    sql = numbered.replace("SELECT\n", "SELECT\n  " + ", ".join(extra_cols) + ",\n", 1)
    return sql, pads + params


def preview_rows(con: Any, session: Session, version_id: int, limit: int = 20) -> dict[str, Any]:
    """Masked rows as they would be published (for the approver), without writing anything."""
    version = get_version(session, version_id)
    kind = _kind(version.publication.kind)
    if kind.dataset is None:
        return {"columns": [], "rows": [], "total": 0}
    columns = kind.shown(version.shown_columns)
    sql, params = snapshot_sql(kind, version.filters, columns)
    try:
        total = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        rows = con.execute(f"{sql} LIMIT {int(limit)}", params).fetchall()
    except Exception as exc:
        raise PortalError(f"读取数据湖 {kind.dataset} 失败：{exc}") from exc
    keys = [c.key for c in columns]
    return {
        "columns": [{"key": c.key, "label": c.label} for c in columns],
        "rows": [dict(zip(keys, r, strict=True)) for r in rows],
        "total": total,
    }


def publish_version(
    session: Session, version_id: int, user: StaffUser, con: Any, secret_key: str
) -> PublicationVersion:
    """Publish an approved version: snapshot its masked rows, supersede the previous version."""
    version = get_version(session, version_id, for_update=True)
    if version.state != "approved":
        raise Conflict(f"版本 {version_id} 当前状态为 {version.state}，须先经他人审批才能发布")
    pub = version.publication
    kind = _kind(pub.kind)
    count = 0
    if kind.dataset is not None:
        sql, params = _snapshot_query(kind, version, secret_key)
        try:
            rows = con.execute(sql, params).fetchall()
        except Exception as exc:
            raise PortalError(f"读取数据湖 {kind.dataset} 失败：{exc}") from exc
        keys = [c.key for c in kind.shown(version.shown_columns)]
        payload = [
            {
                "version_id": version.id,
                "row_no": i,
                "division_code": r[0],
                "person_hash": r[1],
                "verify_hash": r[2],
                "data": dict(zip(keys, r[3:], strict=True)),
            }
            for i, r in enumerate(rows, start=1)
        ]
        for start in range(0, len(payload), 5000):
            session.execute(insert(PublishedRow), payload[start : start + 5000])
        count = len(payload)
    superseded = session.scalars(
        select(PublicationVersion.id).where(
            PublicationVersion.publication_id == pub.id,
            PublicationVersion.state == "published",
        )
    ).all()
    if superseded:
        session.execute(
            update(PublicationVersion)
            .where(PublicationVersion.id.in_(superseded))
            .values(state="superseded")
        )
    version.state = "published"
    version.row_count = count
    version.published_by = user.id
    version.published_at = utcnow()
    pub.title = version.title
    _audit(
        session,
        user,
        "publication.publish",
        version,
        row_count=count,
        superseded_version_ids=list(superseded),
    )
    return version


def withdraw_version(
    session: Session, version_id: int, user: StaffUser, reason: str
) -> PublicationVersion:
    """Take a published version off the public site at once (rows kept for the record)."""
    if not reason.strip():
        raise PortalError("reason: 撤回须说明理由", field="reason")
    version = get_version(session, version_id, for_update=True)
    if version.state != "published":
        raise Conflict(f"版本 {version_id} 当前状态为 {version.state}，只有已发布的版本可以撤回")
    version.state = "withdrawn"
    version.withdrawn_by = user.id
    version.withdrawn_at = utcnow()
    version.withdrawn_reason = reason.strip()
    _audit(session, user, "publication.withdraw", version, reason=version.withdrawn_reason)
    return version


def _audit(
    session: Session, user: StaffUser, action: str, version: PublicationVersion, **extra: Any
) -> None:
    """One audit row per step of a publication, in the step's transaction."""
    audit.append(
        session,
        user.id,
        action,
        "publication_version",
        version.id,
        {
            "publication_id": version.publication_id,
            "version_no": version.version_no,
            "kind": version.publication.kind,
            "division_code": version.publication.division_code,
            "title": version.title,
            **extra,
        },
    )


def published_version(session: Session, publication_id: int) -> PublicationVersion | None:
    return session.scalars(
        select(PublicationVersion).where(
            PublicationVersion.publication_id == publication_id,
            PublicationVersion.state == "published",
        )
    ).one_or_none()


def list_published(
    session: Session, kind: str | None = None, division_prefix: str | None = None
) -> Sequence[tuple[Publication, PublicationVersion]]:
    stmt = (
        select(Publication, PublicationVersion)
        .join(PublicationVersion, PublicationVersion.publication_id == Publication.id)
        .where(PublicationVersion.state == "published")
        .order_by(PublicationVersion.published_at.desc(), Publication.id.desc())
    )
    if kind:
        stmt = stmt.where(Publication.kind == kind)
    if division_prefix:
        stmt = stmt.where(Publication.division_code.startswith(division_prefix, autoescape=True))
    return [(p, v) for p, v in session.execute(stmt).all()]


def version_to_dict(v: PublicationVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "publication_id": v.publication_id,
        "kind": v.publication.kind,
        "version_no": v.version_no,
        "state": v.state,
        "title": v.title,
        "division_code": v.publication.division_code,
        "filters": v.filters,
        "body": v.body,
        "eligibility": v.eligibility,
        "self_query": v.self_query,
        "verification": v.verification,
        "columns": [c.key for c in shown_columns(v)],
        "row_count": v.row_count,
        "created_by": v.created_by,
        "approved_by": v.approved_by,
        "published_by": v.published_by,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "withdrawn_by": v.withdrawn_by,
        "withdrawn_reason": v.withdrawn_reason,
    }
