"""Pre-payment screening (支付前筛查 / 阻断) for paying systems: `POST /api/v1/screen`.

Paying systems authenticate with an API key (`X-API-Key`), never a session: the one
dependency `screen_key` checks it, so an authorisation policy can declare it per route. A key is
limited to datasets and areas (division-code prefixes). Requests are idempotent by
`request_id`: the same id with the same candidates answers the recorded decisions again; with
other candidates it is refused (409). Releasing a held payment is a supervisor's act in the back
office (session or HTTP Basic), not the paying system's.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from qingfeng.screening import service
from qingfeng.screening.candidates import RowError
from qingfeng.screening.engine import Screener, ScreeningError
from qingfeng.store.screening_models import ScreenApiKey
from qingfeng.web.api.deps import DbDep, UserDep

router = APIRouter(tags=["screening"])

EXAMPLE_PAYMENT = {
    "ref": "MZ-2026-12-000183",
    "payment_no": "GL2026120183",
    "id_no": "522701194501010014",
    "name": "张三",
    "subsidy_type": "高龄津贴",
    "period": "2026-12",
    "amount": "200.00",
    "account_no": "6217000000000001",
    "division_code": "522701001001",
}
EXAMPLE_APPLICATION = {
    "ref": "DB-2026-0457",
    "case_no": "DB2026-0457",
    "head_id_no": "522701198203150031",
    "division_code": "522701002003",
    "start_date": "2026-12-01",
    "monthly_amount": "680",
    "dibao_members": [
        {"id_no": "522701198203150031", "name": "李四", "relation_to_head": "户主"},
        {"id_no": "522701198506200048", "name": "王芳", "relation_to_head": "配偶"},
    ],
}


class ScreenIn(BaseModel):
    request_id: str = Field(
        min_length=1, max_length=100, description="调用方的请求编号，重复提交同一编号得到同一结果"
    )
    dataset: str = Field(
        default="subsidy_payments",
        description=(
            "候选记录对应的数据集：subsidy_payments（补贴发放）或 dibao_households（低保申请）"
        ),
    )
    candidates: list[Any] | None = Field(
        default=None, description="一批候选记录（每条一个对象，字段名同数据规范）"
    )
    candidate: Any = Field(default=None, description="单条候选记录（与 candidates 二选一）")


class ReleaseIn(BaseModel):
    index: int = Field(ge=0, description="候选记录在请求中的序号（从 0 起）")
    reason: str = Field(min_length=4, max_length=2000, description="放行理由")


def _refusal(exc: service.ScreeningRefused) -> JSONResponse:
    return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.status)


def screen_key(
    db: DbDep, x_api_key: Annotated[str | None, Header(description="API 密钥")] = None
) -> ScreenApiKey:
    """The calling system's key (401 when missing, unknown or revoked)."""
    try:
        return service.authenticate(db, x_api_key)
    except service.ScreeningRefused as exc:
        from fastapi import HTTPException

        raise HTTPException(exc.status, {"error": exc.code, "detail": str(exc)}) from None


KeyDep = Annotated[ScreenApiKey, Depends(screen_key)]
_SCREENER_LOCK = threading.Lock()


def get_screener(request: Request) -> Screener:
    state = request.app.state
    screener = getattr(state, "screener", None)
    if screener is None:
        with _SCREENER_LOCK:
            screener = getattr(state, "screener", None)
            if screener is None:
                screener = Screener(state.settings)
                state.screener = screener
    return screener


ScreenerDep = Annotated[Screener, Depends(get_screener)]

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "每条候选记录的结论（allow 放行 / review 暂缓待核 / block 阻断）与全部理由",
        "content": {
            "application/json": {
                "example": {
                    "request_id": "MZ-20261207-0001",
                    "dataset": "subsidy_payments",
                    "decision": "block",
                    "snapshot": {
                        "id": "7eb4af51e229da8c",
                        "published_at": "2026-12-07T08:00:00Z",
                        "age_seconds": 3600,
                        "batches": 42,
                    },
                    "totals": {"decisions": {"allow": 0, "review": 0, "block": 1, "error": 0}},
                    "results": [
                        {
                            "index": 0,
                            "ref": "MZ-2026-12-000183",
                            "decision": "block",
                            "status": "stopped",
                            "reasons": [
                                {
                                    "model_id": "subsidy_after_death",
                                    "model_name": "死亡人员仍领取补贴",
                                    "decision": "block",
                                    "severity": "orange",
                                    "sentence": (
                                        "张三于2026-10-03死亡，"
                                        "其后仍于2026-12-07领取高龄津贴200.00元"
                                    ),
                                    "evidence": {"death_date": "2026-10-03", "amount": "200.00"},
                                    "legal_basis": [
                                        {
                                            "document": "《社会救助暂行办法》",
                                            "article": "第六十八条",
                                        }
                                    ],
                                }
                            ],
                            "errors": [],
                        }
                    ],
                }
            }
        },
    },
    401: {"description": "缺少、未知或已吊销的 API 密钥"},
    403: {"description": "密钥无权筛查该数据集"},
    409: {"description": "同一请求编号已用于不同的候选记录"},
    413: {"description": "一批候选记录超过上限（消息中给出上限）"},
}


@router.post(
    "/screen",
    summary="支付前筛查：一条或一批候选记录 / Screen candidates before payment",
    responses=_RESPONSES,
)
def screen(
    key: KeyDep,
    db: DbDep,
    screener: ScreenerDep,
    request: Request,
    body: Annotated[
        ScreenIn,
        Body(
            openapi_examples={
                "payment": {
                    "summary": "补贴发放前筛查一笔",
                    "value": {
                        "request_id": "MZ-20261207-0001",
                        "dataset": "subsidy_payments",
                        "candidate": EXAMPLE_PAYMENT,
                    },
                },
                "batch": {
                    "summary": "发放名单一批",
                    "value": {
                        "request_id": "MZ-20261207-0002",
                        "dataset": "subsidy_payments",
                        "candidates": [EXAMPLE_PAYMENT],
                    },
                },
                "dibao": {
                    "summary": "低保申请审批前筛查",
                    "value": {
                        "request_id": "DB-20261207-0001",
                        "dataset": "dibao_households",
                        "candidate": EXAMPLE_APPLICATION,
                    },
                },
            }
        ),
    ],
) -> Any:
    started = time.perf_counter()
    try:
        answer = _screen(key, db, screener, request, body)
    except service.ScreeningRefused as exc:
        return _refusal(exc)
    from qingfeng.web.metrics import observe_screening

    observe_screening(request.app.state.sessions, time.perf_counter() - started, every=1.0)
    return answer


def _screen(
    key: ScreenApiKey, db: Any, screener: Screener, request: Request, body: ScreenIn
) -> Any:
    if body.candidates is not None and body.candidate is not None:
        raise service.ScreeningRefused(400, "both_forms", "give candidates or candidate, not both")
    candidates = body.candidates if body.candidates is not None else [body.candidate]
    if body.candidates is None and body.candidate is None:
        raise service.ScreeningRefused(
            400, "no_candidates", "give candidates (a list) or candidate"
        )
    if not candidates:
        raise service.ScreeningRefused(400, "no_candidates", "candidates is empty")
    limit = screener.config.max_batch
    if len(candidates) > limit:
        raise service.ScreeningRefused(
            413,
            "batch_too_large",
            f"一批最多 {limit} 条，收到 {len(candidates)} 条 / at most {limit} candidates per "
            f"request, got {len(candidates)}: split the list",
        )
    if body.dataset not in key.datasets:
        raise service.ScreeningRefused(
            403, "dataset_not_allowed", f"this key may not screen {body.dataset!r}"
        )
    seen = service.existing(db, key, body.request_id)
    if seen is not None:
        return _replay(db, key, body, candidates)
    refused = {
        i: [
            RowError(
                i,
                "division_code",
                "out_of_scope",
                f"division_code {c.get('division_code')!r} is outside this key's areas "
                f"({', '.join(key.areas)})",
            )
        ]
        for i, c in enumerate(candidates)
        if isinstance(c, dict) and not service.in_areas(key, c.get("division_code"))
    }
    try:
        outcome = screener.screen(body.dataset, candidates, today=dt.date.today(), refused=refused)
    except ScreeningError as exc:
        raise service.ScreeningRefused(400, "not_screened", str(exc)) from None
    settings = request.app.state.settings
    try:
        recorded = service.record(
            db,
            key=key,
            request_id=body.request_id,
            candidates=candidates,
            outcome=outcome,
            county=settings.county_division_code,
            actor=f"apikey:{key.prefix}",
        )
        db.commit()
    except IntegrityError:  # the same request id at the same moment: answer what was recorded
        db.rollback()
        return _replay(db, key, body, candidates)
    response = dict(recorded.response)
    response["replayed"] = False
    return response


def _replay(db: Any, key: ScreenApiKey, body: ScreenIn, candidates: list[Any]) -> Any:
    seen = service.existing(db, key, body.request_id)
    assert seen is not None
    if seen.inputs_hash != service.request_hash(body.dataset, candidates):
        raise service.ScreeningRefused(
            409,
            "request_id_reused",
            f"request_id {body.request_id!r} was used for other candidates; use a new id",
        )
    response = service.current(db, key, body.request_id)
    response["replayed"] = True
    return response


@router.get(
    "/screen/{request_id}",
    summary="查询某请求编号的当前结论（含放行） / The current decision of a request",
)
def screen_status(request_id: str, key: KeyDep, db: DbDep) -> Any:
    try:
        return service.current(db, key, request_id)
    except service.ScreeningRefused as exc:
        return _refusal(exc)


@router.post(
    "/screen/{request_id}/release",
    summary="监督员放行被暂缓或阻断的支付（须说明理由） / Release a held payment",
)
def screen_release(request_id: str, body: ReleaseIn, user: UserDep, db: DbDep) -> Any:
    try:
        row = service.release(
            db, request_id=request_id, index=body.index, reason=body.reason, user=user
        )
    except service.ScreeningRefused as exc:
        return _refusal(exc)
    db.commit()
    return {
        "request_id": request_id,
        "index": row.idx,
        "status": row.status,
        "released_by": row.released_by,
        "released_at": row.released_at.isoformat() if row.released_at else None,
        "reason": row.release_reason,
    }


@router.get(
    "/screen-funds", summary="支付前筛查：暂缓、阻断、放行的资金 / Funds held, stopped, released"
)
def screen_funds(user: UserDep, db: DbDep) -> Any:
    area = service.user_area(db, user)
    if not area and user.role != "administrator":
        return _refusal(service.ScreeningRefused(403, "forbidden", "your unit has no area"))
    return service.funds(db, area or None)
