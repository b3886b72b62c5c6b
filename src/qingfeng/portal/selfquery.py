"""Self-query (自助查询): a citizen gives ID number, name and the verification answer the data
officer configured, and sees only the published rows whose keyed hashes match.

The same "nothing found" answer is given whether the ID, the name or the verification answer is
wrong, so the page is no oracle. The log keeps an HMAC of the ID number, never the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from qingfeng.portal.errors import NotFound, PortalError
from qingfeng.portal.keys import (
    derive_key,
    keyed_hash,
    normalise_id,
    normalise_name,
    person_message,
    verify_message,
)
from qingfeng.portal.kinds import KINDS, Column
from qingfeng.portal.models import Publication, PublicationVersion, PublishedRow, SelfQueryLog
from qingfeng.portal.publishing import published_version


@dataclass(frozen=True)
class QueryTarget:
    publication: Publication
    version: PublicationVersion
    columns: tuple[Column, ...]
    question: str | None


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, Any]]
    outcome: str  # found | not_found


def query_target(session: Session, publication_id: int) -> QueryTarget:
    pub = session.get(Publication, publication_id)
    version = published_version(session, publication_id) if pub else None
    if pub is None or version is None or not version.self_query:
        raise NotFound("该公开事项不存在、已撤回或未开放自助查询")
    kind = KINDS[pub.kind]
    question = kind.verifications[version.verification].label if version.verification else None
    return QueryTarget(pub, version, kind.shown(version.shown_columns), question)


def id_log_hash(secret_key: str, id_no: str) -> str:
    return keyed_hash(derive_key(secret_key, "idlog"), normalise_id(id_no))


def client_hash(secret_key: str, address: str) -> str:
    return keyed_hash(derive_key(secret_key, "client"), address)


def check_input(target: QueryTarget, id_no: str, name: str, answer: str) -> None:
    problems: list[tuple[str, str]] = []
    if not ric.is_valid(normalise_id(id_no)):
        problems.append(("id_no", "身份证号格式或校验位不正确（应为18位）"))
    if not 2 <= len(normalise_name(name)) <= 30:
        problems.append(("name", "请填写姓名"))
    if target.question and not answer.strip():
        problems.append(("answer", f"请填写：{target.question}"))
    if problems:
        raise PortalError("；".join(m for _, m in problems), field=problems[0][0])


def run_self_query(
    session: Session,
    target: QueryTarget,
    *,
    id_no: str,
    name: str,
    answer: str,
    secret_key: str,
    client_address: str,
) -> QueryResult:
    """Rows of the querent only; logs the query (keyed hashes only) in the caller's session."""
    check_input(target, id_no, name, answer)
    person = keyed_hash(derive_key(secret_key, "person"), person_message(id_no, name))
    stmt = (
        select(PublishedRow.data)
        .where(
            PublishedRow.version_id == target.version.id,
            PublishedRow.person_hash == person,
        )
        .order_by(PublishedRow.row_no)
        .limit(500)
    )
    if target.version.verification:
        verify = keyed_hash(derive_key(secret_key, "verify"), verify_message(id_no, answer))
        stmt = stmt.where(PublishedRow.verify_hash == verify)
    rows = list(session.scalars(stmt))
    outcome = "found" if rows else "not_found"
    log_query(session, target.publication.id, id_no, secret_key, client_address, len(rows), outcome)
    return QueryResult(rows=rows, outcome=outcome)


def log_query(
    session: Session,
    publication_id: int,
    id_no: str,
    secret_key: str,
    client_address: str,
    matched: int,
    outcome: str,
) -> None:
    session.add(
        SelfQueryLog(
            publication_id=publication_id,
            id_hash=id_log_hash(secret_key, id_no),
            client_hash=client_hash(secret_key, client_address),
            matched_rows=matched,
            outcome=outcome,
        )
    )
    session.flush()
