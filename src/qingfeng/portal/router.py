"""Public pages (no sign-in, mobile-first, Simplified Chinese): disclosures, self-query,
complaints and their tracking. `build_portal_router(settings)` returns an APIRouter to include
under /public; `create_portal_app(settings)` (app.py) runs it as its own process."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from qingfeng.portal.attachments import ALLOWED_EXTENSIONS, Upload
from qingfeng.portal.challenge import ChallengeBook
from qingfeng.portal.complaints import (
    CATEGORIES,
    PUBLIC_STATUS,
    ComplaintForm,
    file_complaint,
    find_by_code,
    public_status,
)
from qingfeng.portal.config import PortalConfig
from qingfeng.portal.context import (
    SECURITY_HEADERS,
    STATIC_DIR,
    PageCache,
    PortalContext,
    templates,
)
from qingfeng.portal.errors import NotFound, PortalError
from qingfeng.portal.ids import IdPath
from qingfeng.portal.keys import derive_key, keyed_hash, normalise_id
from qingfeng.portal.kinds import KINDS
from qingfeng.portal.models import (
    PortalDivision,
    Publication,
    PublicationVersion,
    PublishedRow,
)
from qingfeng.portal.places import LakeConnect, PlaceRefresher, default_lake_connect
from qingfeng.portal.publishing import list_published
from qingfeng.portal.ratelimit import TokenBuckets
from qingfeng.portal.selfquery import log_query, query_target, run_self_query
from qingfeng.portal.stages import complaint_stages
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.shared import StoreBuckets

STATIC_FILES = {"portal.css": "text/css; charset=utf-8"}


def build_portal_router(
    settings: Settings,
    *,
    config: PortalConfig | None = None,
    factory: sessionmaker[Session] | None = None,
    prefix: str = "/public",
    lake_connect: LakeConnect | None = default_lake_connect,
) -> APIRouter:
    """The public portal's routes under `prefix`. The store must be migrated (`qingfeng init`).
    `lake_connect` reads the household registry for the places offered (None: the organisation
    tree and places loaded by hand only)."""
    if not settings.secret_key:
        raise ValueError("settings.secret_key is empty: the portal signs challenges with it")
    cfg = config or PortalConfig.from_settings(settings)
    factory = factory or session_factory(make_engine(settings.database_url))
    ctx = PortalContext(
        settings=settings,
        config=cfg,
        factory=factory,
        # In the store: every web worker (and every host behind the balancer) draws from the
        # same bucket, so a limit holds however many processes serve the portal.
        buckets=StoreBuckets(factory),
        challenges=ChallengeBook(settings.secret_key, cfg.challenge_ttl_seconds),
        templates=templates(settings.timezone),
        prefix=prefix,
        page_cache=PageCache(cfg.page_cache_entries),
        places=PlaceRefresher(settings, lake_connect),
    )
    router = APIRouter(prefix=prefix, include_in_schema=False)
    _disclosure_routes(router, ctx)
    _query_routes(router, ctx)
    _complaint_routes(router, ctx)
    router.state = ctx  # type: ignore[attr-defined]  # for tests and the benchmark
    return router


# ---------------------------------------------------------------- disclosures


def _disclosure_routes(router: APIRouter, ctx: PortalContext) -> None:
    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return Response("not found", status_code=404)
        return FileResponse(
            STATIC_DIR / name,
            media_type=STATIC_FILES[name],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @router.get("")
    def root() -> Response:
        return RedirectResponse(f"{ctx.prefix}/", status_code=308)

    @router.get("/")
    def home(request: Request) -> Response:
        if not ctx.take(request, "page"):
            return ctx.refused(request, "page")
        with ctx.transaction() as s:
            items = list_published(s)[:20]
            return ctx.render(request, "home.html", {"items": _items(items), "kinds": KINDS})

    @router.get("/disclosures")
    def disclosures(
        request: Request,
        kind: str | None = Query(None, max_length=30),
        division: str | None = Query(None, pattern=r"^\d{2,12}$"),
    ) -> Response:
        if not ctx.take(request, "page"):
            return ctx.refused(request, "page")
        if kind is not None and kind not in KINDS:
            kind = None
        with ctx.transaction() as s:
            if ctx.places is not None:
                ctx.places.ensure(s)
            items = list_published(s, kind, division)
            divisions = s.scalars(select(PortalDivision).order_by(PortalDivision.code)).all()
            return ctx.render(
                request,
                "disclosures.html",
                {
                    "items": _items(items),
                    "kinds": KINDS,
                    "kind": kind,
                    "division": division,
                    "divisions": divisions,
                },
            )

    @router.get("/disclosures/{publication_id}")
    def disclosure(
        request: Request,
        publication_id: IdPath,
        page: int = Query(1, ge=1, le=100_000),
        division: str | None = Query(None, pattern=r"^\d{2,12}$"),
    ) -> Response:
        if not ctx.take(request, "page"):
            return ctx.refused(request, "page")
        # Hot path: one indexed lookup of the published version id (Core, no ORM objects). A
        # published version's rows never change (a correction is a new version), so its rendered
        # pages are cached by version id; this per-request check keeps withdrawal immediate.
        with ctx.factory() as s:
            version_id = s.execute(
                select(PublicationVersion.id).where(
                    PublicationVersion.publication_id == publication_id,
                    PublicationVersion.state == "published",
                )
            ).scalar_one_or_none()
            if version_id is None:
                return ctx.render(request, "gone.html", {"title": "公开事项不存在或已撤回"}, 404)
            key = (version_id, page, division)
            body = ctx.page_cache.get(key)
            if body is None:
                version = s.get_one(PublicationVersion, version_id)
                body = _render_disclosure(ctx, s, version.publication, version, page, division)
                ctx.page_cache.put(key, body)
        return HTMLResponse(body, headers=SECURITY_HEADERS)


def _render_disclosure(
    ctx: PortalContext,
    s: Session,
    pub: Publication,
    version: PublicationVersion,
    page: int,
    division: str | None,
) -> bytes:
    kind = KINDS[pub.kind]
    size = ctx.config.page_size
    stmt = select(PublishedRow.data).where(PublishedRow.version_id == version.id)
    total = version.row_count
    if division:
        in_division = PublishedRow.division_code.startswith(division, autoescape=True)
        stmt = stmt.where(in_division).order_by(PublishedRow.row_no)
        stmt = stmt.offset((page - 1) * size).limit(size)
        total = (
            s.scalar(
                select(func.count())
                .select_from(PublishedRow)
                .where(PublishedRow.version_id == version.id, in_division)
            )
            or 0
        )
    else:
        # row_no is dense from 1: a range scan on the (version_id, row_no) index.
        stmt = stmt.where(
            PublishedRow.row_no > (page - 1) * size, PublishedRow.row_no <= page * size
        ).order_by(PublishedRow.row_no)
    rows = list(s.scalars(stmt))
    context = {
        "prefix": ctx.prefix,
        "pub": pub,
        "version": version,
        "kind": kind,
        "columns": kind.shown(version.shown_columns),
        "rows": rows,
        "page": page,
        "pages": max(1, -(-total // size)),
        "total": total,
        "division": division,
        "title": version.title,
    }
    return ctx.templates.get_template("disclosure.html").render(context).encode("utf-8")


def _items(pairs: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "title": v.title,
            "kind": KINDS[p.kind].label,
            "kind_id": p.kind,
            "division_code": p.division_code,
            "version_no": v.version_no,
            "published_at": v.published_at,
            "row_count": v.row_count,
            "self_query": v.self_query,
        }
        for p, v in pairs
    ]


# ---------------------------------------------------------------- self-query


def _query_routes(router: APIRouter, ctx: PortalContext) -> None:
    @router.get("/query")
    def query_index(request: Request) -> Response:
        if not ctx.take(request, "page"):
            return ctx.refused(request, "page")
        with ctx.transaction() as s:
            items = [i for i in _items(list_published(s)) if i["self_query"]]
            return ctx.render(request, "query_index.html", {"items": items, "title": "自助查询"})

    def form(request: Request, s: Session, publication_id: int, **extra: Any) -> Response:
        try:
            target = query_target(s, publication_id)
        except NotFound as exc:
            return ctx.render(request, "gone.html", {"title": exc.message}, 404)
        status = extra.pop("status_code", 200)
        return ctx.render(
            request,
            "query_form.html",
            {
                "target": target,
                "challenge": ctx.challenges.issue(),
                "title": f"自助查询：{target.version.title}",
                **extra,
            },
            status,
            no_store=True,
        )

    @router.get("/query/{publication_id}")
    def query_form(request: Request, publication_id: IdPath) -> Response:
        if not ctx.take(request, "challenge"):
            return ctx.refused(request, "challenge")
        with ctx.transaction() as s:
            return form(request, s, publication_id)

    @router.post("/query/{publication_id}")
    async def query_submit(request: Request, publication_id: IdPath) -> Response:
        too_big = _too_big(request, 16 * 1024)
        if too_big:
            return too_big
        data = await _form(request, max_files=0, max_fields=10)
        if isinstance(data, Response):
            return data
        fields = {
            k: str(data.get(k, ""))[:200] for k in ("id_no", "name", "answer", "token", "challenge")
        }
        return await run_in_threadpool(_query_work, request, publication_id, fields)

    def _query_work(request: Request, publication_id: int, f: dict[str, str]) -> Response:
        address = ctx.client(request)
        key = derive_key(ctx.settings.secret_key, "ratelimit")
        person = keyed_hash(key, normalise_id(f["id_no"]))
        if not ctx.has(request, "query_miss"):
            return _refuse_query(request, publication_id, f, "query_miss")
        if not ctx.has(request, "query_person", person):
            return _refuse_query(request, publication_id, f, "query_person", person)
        if not ctx.take(request, "query"):
            return _refuse_query(request, publication_id, f, "query")
        try:
            with ctx.transaction() as s:
                target = query_target(s, publication_id)
            # The challenge is spent in its own transaction: a failed attempt cannot reuse it.
            _spend_challenge(ctx, f["token"], f["challenge"])
            with ctx.transaction() as s:
                result = run_self_query(
                    s,
                    target,
                    id_no=f["id_no"],
                    name=f["name"],
                    answer=f["answer"],
                    secret_key=ctx.settings.secret_key,
                    client_address=address,
                )
        except NotFound as exc:
            return ctx.render(request, "gone.html", {"title": exc.message}, 404)
        except PortalError as exc:
            with ctx.transaction() as s:
                return form(
                    request,
                    s,
                    publication_id,
                    error=exc.message,
                    error_field=exc.field,
                    values={"name": f["name"]},
                    status_code=422,
                )
        if result.outcome != "found":
            ctx.take(request, "query_miss")
            ctx.take(request, "query_person", person)
        return ctx.render(
            request,
            "query_result.html",
            {"target": target, "rows": result.rows, "title": "查询结果"},
            no_store=True,
        )

    def _refuse_query(
        request: Request,
        publication_id: IdPath,
        f: dict[str, str],
        bucket: str,
        key: str | None = None,
    ) -> Response:
        # Refusals are logged too (keyed hashes only), so brute force shows in the log.
        try:
            with ctx.transaction() as s:
                target = query_target(s, publication_id)
                log_query(
                    s,
                    target.publication.id,
                    f["id_no"],
                    ctx.settings.secret_key,
                    ctx.client(request),
                    0,
                    "refused",
                )
        except NotFound:
            pass
        return ctx.refused(request, bucket, key)


# ---------------------------------------------------------------- complaints


def _spend_challenge(ctx: PortalContext, token: str, answer: str) -> None:
    """Check the challenge in its own committed transaction: right or wrong, it is spent."""
    error: PortalError | None = None
    with ctx.transaction() as s:
        try:
            ctx.challenges.verify(s, token, answer)
        except PortalError as exc:
            error = exc
    if error is not None:
        raise error


async def _form(request: Request, *, max_files: int, max_fields: int) -> FormData | Response:
    """The parsed form, or a plain 400 naming what was wrong (too many files or fields)."""
    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except HTTPException as exc:
        return Response(
            f"表单无法处理 / bad form: {exc.detail}（附件最多 {max_files} 个）",
            status_code=400,
            media_type="text/plain; charset=utf-8",
        )


def _too_big(request: Request, limit: int) -> Response | None:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return Response("需要 Content-Length / Content-Length required", status_code=411)
    if int(length) > limit:
        return Response(
            f"请求过大（上限 {limit // (1024 * 1024) or 1} MB）/ request too large", status_code=413
        )
    return None


def _complaint_routes(router: APIRouter, ctx: PortalContext) -> None:
    def form(request: Request, s: Session, status_code: int = 200, **extra: Any) -> Response:
        if ctx.places is not None:  # the county's own places, without a command
            ctx.places.ensure(s)
        divisions = s.scalars(select(PortalDivision).order_by(PortalDivision.code)).all()
        return ctx.render(
            request,
            "complaint_form.html",
            {
                "divisions": divisions,
                "categories": CATEGORIES,
                "challenge": ctx.challenges.issue(),
                "max_attachments": ctx.config.max_attachments,
                "max_mb": ctx.config.max_attachment_bytes // (1024 * 1024),
                "accept": ",".join(ALLOWED_EXTENSIONS),
                "values": extra.pop("values", {}),
                "title": "投诉举报",
                **extra,
            },
            status_code,
            no_store=True,
        )

    @router.get("/complaints/new")
    def complaint_form(request: Request) -> Response:
        if not ctx.take(request, "challenge"):
            return ctx.refused(request, "challenge")
        with ctx.transaction() as s:
            return form(request, s)

    @router.post("/complaints")
    async def complaint_submit(request: Request) -> Response:
        too_big = _too_big(request, ctx.config.max_request_bytes)
        if too_big:
            return too_big
        if not ctx.has(request, "complaint"):
            return ctx.refused(request, "complaint")
        data = await _form(request, max_files=ctx.config.max_attachments, max_fields=20)
        if isinstance(data, Response):
            return data
        values = {
            k: str(data.get(k, ""))[:6000]
            for k in (
                "division_code",
                "category",
                "title",
                "content",
                "target_name",
                "target_org",
                "anonymous",
                "complainant_name",
                "complainant_phone",
                "token",
                "challenge",
            )
        }
        uploads: list[Upload] = []
        for item in data.getlist("attachments"):
            if isinstance(item, UploadFile) and item.filename:
                blob = await item.read(ctx.config.max_attachment_bytes + 1)
                uploads.append(Upload(item.filename, blob))
        return await run_in_threadpool(_complaint_work, request, values, uploads)

    def _complaint_work(request: Request, v: dict[str, str], uploads: list[Upload]) -> Response:
        complaint_form = ComplaintForm(
            division_code=v["division_code"],
            category=v["category"],
            title=v["title"],
            content=v["content"],
            target_name=v["target_name"],
            target_org=v["target_org"],
            anonymous=v["anonymous"] != "named",
            complainant_name=v["complainant_name"],
            complainant_phone=v["complainant_phone"],
        )
        try:
            _spend_challenge(ctx, v["token"], v["challenge"])
            with ctx.transaction() as s:
                complaint, code = file_complaint(
                    s,
                    complaint_form,
                    uploads,
                    ctx.settings.attachments_dir,
                    max_attachments=ctx.config.max_attachments,
                    max_attachment_bytes=ctx.config.max_attachment_bytes,
                )
                complaint_no = complaint.complaint_no
        except PortalError as exc:
            with ctx.transaction() as s:
                kept = {k: x for k, x in v.items() if k not in ("token", "challenge")}
                return form(request, s, 422, error=exc.message, error_field=exc.field, values=kept)
        ctx.take(request, "complaint")
        return ctx.render(
            request,
            "complaint_done.html",
            {"code": code, "complaint_no": complaint_no, "title": "提交成功"},
            no_store=True,
        )

    @router.get("/track")
    def track_form(request: Request) -> Response:
        if not ctx.take(request, "page"):
            return ctx.refused(request, "page")
        return ctx.render(request, "track_form.html", {"title": "办理进度查询"})

    @router.post("/track")
    async def track_submit(request: Request) -> Response:
        too_big = _too_big(request, 4 * 1024)
        if too_big:
            return too_big
        data = await _form(request, max_files=0, max_fields=5)
        if isinstance(data, Response):
            return data
        code = str(data.get("code", ""))[:64]
        return await run_in_threadpool(_track_work, request, code)

    def _track_work(request: Request, code: str) -> Response:
        # Misses are what enumeration produces: a few per address, then refused for a while.
        if not ctx.has(request, "track_miss"):
            return ctx.refused(request, "track_miss")
        if not ctx.take(request, "track"):
            return ctx.refused(request, "track")
        with ctx.transaction() as s:
            complaint = find_by_code(s, code)
            if complaint is None:
                ctx.take(request, "track_miss")
                return ctx.render(
                    request,
                    "track_form.html",
                    {"title": "办理进度查询", "error": "未找到与该查询码对应的投诉，请核对后重试"},
                    404,
                    no_store=True,
                )
            status = public_status(s, complaint)
            reply = complaint.replies[-1] if complaint.replies and status == "replied" else None
            return ctx.render(
                request,
                "track_result.html",
                {
                    "c": complaint,
                    "category": CATEGORIES.get(complaint.category, complaint.category),
                    "status": status,
                    "status_label": PUBLIC_STATUS[status],
                    "reply": reply,
                    "stages": complaint_stages(s, complaint),
                    "title": "办理进度",
                },
                no_store=True,
            )


__all__ = ["ChallengeBook", "TokenBuckets", "build_portal_router"]
