"""Screening in the workflow store: API keys, requests recorded once, held candidates as leads,
release by a supervisor, and the funds held, released and stopped.

Statuses of a candidate: `allowed` (allow), `held` (review: not paid until a person looks),
`stopped` (block), `released` (a supervisor let a held or stopped payment go, with a reason),
`error` (not screened: the row was malformed or out of the key's areas).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingfeng.audit import log as audit
from qingfeng.hits import SEVERITIES, fingerprint
from qingfeng.screening.candidates import inputs_hash
from qingfeng.screening.engine import Outcome
from qingfeng.store.models import Comment, Warning, utcnow
from qingfeng.store.routing import Router
from qingfeng.store.screening_models import ScreenApiKey, ScreenDecision, ScreenRequest

TOKEN_PREFIX = "qfs"
SCREEN_MODEL_ID = "screening"  # the leads of held payments, beside the models' own
SCREEN_MODEL_VERSION = "1.0.0"
STATUS_OF = {"allow": "allowed", "review": "held", "block": "stopped"}
RELEASABLE = ("held", "stopped")
AREA_LENGTHS = (2, 4, 6, 9, 12)
RELEASE_ROLES = frozenset({"supervisor", "administrator"})


class ScreeningRefused(Exception):
    """A request refused as a whole; `status` is its HTTP status, the message says why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


# ---- keys ----------------------------------------------------------------------------------
def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_token() -> tuple[str, str, str]:
    """(token, prefix, digest of the secret); the token is shown once, never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, _digest(secret)


def create_key(
    session: Session, name: str, datasets: list[str], areas: list[str], actor: str
) -> tuple[ScreenApiKey, str]:
    """A new key for a paying system, limited to `datasets` and to the division-code prefixes
    `areas`; returns the row and the token (shown once)."""
    from qingfeng.dataspec import load_catalogue

    name = name.strip()
    if not name:
        raise ValueError("a key needs the name of the calling system")
    if not datasets:
        raise ValueError("a key needs at least one dataset it may screen")
    catalogue = load_catalogue()
    unknown = [d for d in datasets if d not in catalogue]
    if unknown:
        raise ValueError(f"unknown datasets: {', '.join(unknown)}")
    if not areas:
        raise ValueError("a key needs at least one area (division code, e.g. 522701)")
    for code in areas:
        if not (code.isdigit() and len(code) in AREA_LENGTHS):
            raise ValueError(
                f"area {code!r}: a division-code prefix of 2, 4, 6, 9 or 12 digits (e.g. 522701)"
            )
    token, prefix, digest = _new_token()
    key = ScreenApiKey(
        name=name[:100],
        prefix=prefix,
        key_hash=digest,
        datasets=sorted(set(datasets)),
        areas=sorted(set(areas)),
        created_by=actor,
    )
    session.add(key)
    session.flush()
    audit.append(
        session, actor, "screen.key_create", "screen_api_key", key.id,
        {"name": key.name, "prefix": prefix, "datasets": key.datasets, "areas": key.areas},
    )  # fmt: skip
    return key, token


def find_key(session: Session, prefix: str) -> ScreenApiKey:
    key = session.scalar(select(ScreenApiKey).where(ScreenApiKey.prefix == prefix))
    if key is None:
        raise LookupError(f"no API key {prefix}")
    return key


def revoke_key(session: Session, prefix: str, actor: str) -> ScreenApiKey:
    key = find_key(session, prefix)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by = actor
        audit.append(
            session, actor, "screen.key_revoke", "screen_api_key", key.id, {"prefix": prefix}
        )
    return key


def rotate_key(session: Session, prefix: str, actor: str) -> tuple[ScreenApiKey, str]:
    """A new key with the old one's name and scope; the old one is revoked at once."""
    old = find_key(session, prefix)
    if old.revoked_at is not None:
        raise ValueError(f"API key {prefix} is revoked; create a new one")
    key, token = create_key(session, old.name, list(old.datasets), list(old.areas), actor)
    old.revoked_at = utcnow()
    old.revoked_by = actor
    old.replaced_by_id = key.id
    audit.append(
        session, actor, "screen.key_rotate", "screen_api_key", old.id,
        {"prefix": prefix, "new_prefix": key.prefix},
    )  # fmt: skip
    return key, token


def list_keys(session: Session) -> list[ScreenApiKey]:
    return list(session.scalars(select(ScreenApiKey).order_by(ScreenApiKey.id)))


def authenticate(session: Session, token: str | None) -> ScreenApiKey:
    """The active key of `token`, or ScreeningRefused (401) saying nothing about which part was
    wrong."""
    refused = ScreeningRefused(401, "unknown_key", "API key unknown or revoked (X-API-Key)")
    if not token:
        raise ScreeningRefused(401, "no_key", "send the API key in the X-API-Key header")
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise refused
    key = session.scalar(select(ScreenApiKey).where(ScreenApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None:
        raise refused
    if not hmac.compare_digest(key.key_hash, _digest(parts[2])):
        raise refused
    return key


def in_areas(key: ScreenApiKey, division_code: str | None) -> bool:
    return bool(division_code) and any(str(division_code).startswith(a) for a in key.areas)


# ---- requests ------------------------------------------------------------------------------
def request_hash(dataset: str, candidates: list[Any]) -> str:
    return inputs_hash({"dataset": dataset, "candidates": candidates})


def existing(session: Session, key: ScreenApiKey, request_id: str) -> ScreenRequest | None:
    return session.scalar(
        select(ScreenRequest).where(
            ScreenRequest.key_id == key.id, ScreenRequest.request_id == request_id
        )
    )


def _amount(candidate: Any) -> Decimal | None:
    if not isinstance(candidate, dict):
        return None
    value = candidate.get("amount", candidate.get("monthly_amount"))
    try:
        amount = Decimal(str(value).replace(",", "").replace("元", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else None


def _division(candidate: Any) -> str | None:
    value = candidate.get("division_code") if isinstance(candidate, dict) else None
    return str(value).strip()[:12] if value else None


@dataclass
class Recorded:
    request: ScreenRequest
    response: dict[str, Any]


def record(
    session: Session,
    *,
    key: ScreenApiKey,
    request_id: str,
    candidates: list[Any],
    outcome: Outcome,
    county: str | None,
    actor: str,
) -> Recorded:
    """Store the request and each candidate's decision, open a lead per held or stopped
    candidate, audit every decision with its inputs' hash; in the caller's transaction."""
    response = response_json(request_id, outcome)
    request = ScreenRequest(
        key_id=key.id,
        request_id=request_id,
        dataset=outcome.dataset,
        inputs_hash=request_hash(outcome.dataset, candidates),
        candidates=len(candidates),
        decision=response["decision"],
        snapshot_id=outcome.snapshot.id,
        snapshot_published_at=outcome.snapshot.published_at,
        response=response,
    )
    session.add(request)
    session.flush()
    router: Router | None = None  # read from the store only when a lead is opened
    decisions: list[ScreenDecision] = []
    for result, candidate in zip(outcome.results, candidates, strict=True):
        decision = result.decision or "error"
        row = ScreenDecision(
            request_pk=request.id,
            idx=result.index,
            ref=result.ref,
            inputs_hash=inputs_hash(candidate),
            decision=decision,
            status=STATUS_OF.get(decision, "error"),
            amount=_amount(candidate),
            division_code=_division(candidate),
            models=[r.model_id for r in result.reasons],
        )
        if decision in ("review", "block"):
            router = router or Router.for_store(session, county)
            row.warning_id = _open_lead(
                session, router, key, request_id, outcome, result, row, candidate
            )
        decisions.append(row)
    session.add_all(decisions)
    session.flush()
    audit.append_many(
        session,
        [
            audit.AuditEntry(
                actor,
                "screen.decision",
                "screen_decision",
                str(d.id),
                {
                    "request_id": request_id,
                    "index": d.idx,
                    "decision": d.decision,
                    "inputs_sha256": d.inputs_hash,
                    "models": d.models,
                    "snapshot": outcome.snapshot.id,
                },
            )
            for d in decisions
        ],
    )
    key.last_used_at = utcnow()
    return Recorded(request, response)


def _open_lead(
    session: Session,
    router: Router,
    key: ScreenApiKey,
    request_id: str,
    outcome: Outcome,
    result: Any,
    row: ScreenDecision,
    candidate: Any,
) -> int:
    """A lead in the closed loop for a held or stopped candidate: its reasons as evidence,
    routed like a model's warning by the candidate's area."""
    reasons = result.reasons
    severity = min((r.severity for r in reasons), key=SEVERITIES.index, default="yellow")
    subject = _subject(outcome.dataset, candidate)
    word = "阻断" if row.decision == "block" else "暂缓待核"
    sentences = "；".join(r.sentence for r in reasons)
    area = router.area(row.division_code)
    period = max((r.period for r in reasons), default="")[:20] or utcnow().strftime("%Y-%m")
    warning = Warning(
        fingerprint=fingerprint(SCREEN_MODEL_ID, "hold", f"{key.id}/{request_id}/{row.idx}", ""),
        model_id=SCREEN_MODEL_ID,
        model_version=SCREEN_MODEL_VERSION,
        subject_type="person",
        subject_id=subject[0] or f"{request_id}#{row.idx}"[:64],
        subject_name=subject[1],
        period=period,
        severity=severity,
        amount=row.amount,
        division_code=area,
        org_id=router.unit(area),
        explanation=(
            f"支付前筛查{word}（{key.name}，请求 {request_id} 第 {row.idx + 1} 条）：{sentences}"
        ),
        evidence={
            "request_id": request_id,
            "index": row.idx,
            "ref": row.ref,
            "dataset": outcome.dataset,
            "decision": row.decision,
            "calling_system": key.name,
            "snapshot": outcome.snapshot.id,
            "reasons": [
                {
                    "model_id": r.model_id,
                    "model_name": r.model_name,
                    "decision": r.decision,
                    "severity": r.severity,
                    "sentence": r.sentence,
                    "evidence": r.evidence,
                }
                for r in reasons
            ],
        },
        status="new",
        present=True,
    )
    session.add(warning)
    session.flush()
    return warning.id


def _subject(dataset: str, candidate: Any) -> tuple[str | None, str | None]:
    if not isinstance(candidate, dict):
        return None, None
    if dataset == "dibao_households":
        return _s(candidate.get("head_id_no")), None
    return _s(candidate.get("id_no")), _s(candidate.get("name"), 200)


def _s(value: Any, width: int = 64) -> str | None:
    return None if value is None else str(value).strip()[:width] or None


def response_json(request_id: str, outcome: Outcome) -> dict[str, Any]:
    results = [r.to_json() for r in outcome.results]
    for r in results:
        r["status"] = STATUS_OF.get(r["decision"], "error")
    decisions = [r["decision"] for r in results if r["decision"] != "error"]
    order = ("allow", "review", "block")
    overall = max(decisions, key=order.index) if decisions else "error"
    return {
        "request_id": request_id,
        "dataset": outcome.dataset,
        "decision": overall,
        "snapshot": outcome.snapshot.to_json(),
        "models": outcome.models,
        "totals": outcome.totals(),
        "results": results,
    }


def current(session: Session, key: ScreenApiKey, request_id: str) -> dict[str, Any]:
    """The request's answer with each candidate's status now (a release shows)."""
    request = existing(session, key, request_id)
    if request is None:
        raise ScreeningRefused(404, "unknown_request", f"no screening request {request_id!r}")
    response = dict(request.response)
    rows = {
        d.idx: d
        for d in session.scalars(
            select(ScreenDecision).where(ScreenDecision.request_pk == request.id)
        )
    }
    results = []
    for r in response["results"]:
        d = rows.get(r["index"])
        r = dict(r)
        if d is not None:
            r["status"] = d.status
            if d.status == "released":
                r["released_at"] = d.released_at.isoformat() if d.released_at else None
                r["release_reason"] = d.release_reason
        results.append(r)
    response["results"] = results
    response["received_at"] = request.received_at.isoformat()
    return response


def release(
    session: Session,
    *,
    request_id: str,
    index: int,
    reason: str,
    user: Any,
    key_id: int | None = None,
) -> ScreenDecision:
    """A supervisor lets a held or stopped payment go; audited with the reason."""
    if getattr(user, "role", None) not in RELEASE_ROLES:
        raise ScreeningRefused(403, "forbidden", "only a supervisor or administrator may release")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ScreeningRefused(400, "reason_required", "give the reason for the release")
    query = (
        select(ScreenDecision)
        .join(ScreenRequest, ScreenRequest.id == ScreenDecision.request_pk)
        .where(ScreenRequest.request_id == request_id, ScreenDecision.idx == index)
    )
    if key_id is not None:
        query = query.where(ScreenRequest.key_id == key_id)
    found = list(session.scalars(query))
    if len(found) != 1:
        raise ScreeningRefused(
            404 if not found else 409,
            "unknown_request" if not found else "ambiguous_request",
            f"request {request_id!r} candidate {index}: "
            + ("not found" if not found else "several calling systems used this request id"),
        )
    row = found[0]
    if not _in_user_scope(session, user, row.division_code):
        raise ScreeningRefused(
            404, "unknown_request", f"request {request_id!r} candidate {index}: not found"
        )
    if row.status not in RELEASABLE:
        raise ScreeningRefused(409, "not_held", f"candidate {index} is {row.status}, not held")
    before = row.status
    row.status = "released"
    row.released_at = utcnow()
    row.released_by = user.username
    row.release_reason = reason[:2000]
    if row.warning_id is not None:  # the lead in the closed loop says who let it go and why
        word = "阻断" if before == "stopped" else "暂缓"
        session.add(
            Comment(
                warning_id=row.warning_id,
                author_id=getattr(user, "id", None),
                at=row.released_at,
                body=f"支付前筛查{word}的付款已放行（{user.username}）：{reason[:2000]}",
            )
        )
    audit.append(
        session, user.username, "screen.release", "screen_decision", row.id,
        {"request_id": request_id, "index": index, "from": before, "reason": reason[:2000]},
    )  # fmt: skip
    return row


def user_area(session: Session, user: Any) -> str:
    """The division-code prefix of the user's organisation ('' when it has none)."""
    from qingfeng.store.models import Organisation

    org = session.get(Organisation, user.org_id) if getattr(user, "org_id", None) else None
    return str(getattr(org, "division_code", None) or "")


def _in_user_scope(session: Session, user: Any, division_code: str | None) -> bool:
    """A supervisor releases only in their organisation's area."""
    area = user_area(session, user)
    if not area:  # a team or department sees what is dispatched to it, no area
        return getattr(user, "role", None) == "administrator"
    return bool(division_code) and str(division_code).startswith(area)


def funds(session: Session, area: str | None = None) -> dict[str, dict[str, Any]]:
    """Candidates and money per status (held, stopped, released, allowed), in `area` (a
    division-code prefix) when given."""
    query = select(ScreenDecision.status, func.count(), func.sum(ScreenDecision.amount))
    if area:
        query = query.where(ScreenDecision.division_code.startswith(area, autoescape=True))
    rows = session.execute(query.group_by(ScreenDecision.status)).all()
    out = {
        s: {"candidates": 0, "amount": "0.00"} for s in ("held", "stopped", "released", "allowed")
    }
    for status, count, total in rows:
        out[status] = {"candidates": int(count), "amount": format(Decimal(total or 0), ".2f")}
    return out
