"""API keys of paying systems (付款系统密钥) for administrators: create one scoped to datasets
and division-code prefixes (the key is shown once, on the page that answers the creation, and
stored only as its hash), rotate it (a new key with the same scope; the old one stops at once)
or revoke it.

The work is qingfeng.screening.service's, the same code as `qingfeng screen keys`; every change
is audited there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from qingfeng.screening import service
from qingfeng.web.deps import DbDep, csrf_protect, require
from qingfeng.web.roles import Area
from qingfeng.web.scope import Principal
from qingfeng.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
Administrator = Annotated[Principal, Depends(require(Area.USERS))]
FLASH_KEY = "screen_keys_flash"
Prefix = Annotated[str, Form(max_length=40)]


def screened_datasets(request: Request) -> list[str]:
    """The datasets some model screens (what a key may be limited to); read again when a model
    file changes."""
    from qingfeng.engine.loader import load_models

    state = request.app.state
    folder = Path(state.settings.models_dir)
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*.y*ml")))
    cached = getattr(state, "screened_datasets", None)
    if cached is not None and cached[0] == stamp:
        return list(cached[1])
    models = load_models(folder)
    found = sorted({s.screens.dataset for s in models.select() if s.screens is not None})
    state.screened_datasets = (stamp, found)
    return found


def _page(
    request: Request,
    db: Session,
    *,
    token: str | None = None,
    created: Any = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "screen_keys.html",
        {
            "keys": service.list_keys(db),
            "datasets": screened_datasets(request),
            "token": token,
            "created": created,
            "error": error,
            "form": form or {},
            "flash": request.session.pop(FLASH_KEY, None),
        },
        status_code=status_code,
    )


@router.get("/screen-keys", name="screen_keys")
def keys_page(request: Request, db: DbDep, principal: Administrator) -> Response:
    return _page(request, db)


def _areas(text: str) -> list[str]:
    return [a for a in text.replace("，", ",").replace(" ", ",").split(",") if a.strip()]


@router.post("/screen-keys")
async def create_key(
    request: Request,
    db: DbDep,
    principal: Administrator,
    name: Annotated[str, Form(max_length=100)] = "",
    areas: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    submitted = await request.form()
    datasets = [str(d) for d in submitted.getlist("datasets")]
    form = {"name": name, "areas": areas, "datasets": datasets}
    allowed = set(screened_datasets(request))
    try:
        outside = [d for d in datasets if d not in allowed]
        if outside:
            raise ValueError(f"no model screens: {', '.join(outside)}")
        key, token = service.create_key(db, name, datasets, _areas(areas), principal.username)
    except ValueError as exc:
        db.rollback()
        return _page(request, db, error=str(exc), form=form, status_code=400)
    db.commit()
    # The token is in this answer only: never in the session, the log or a redirect.
    return _page(request, db, token=token, created=key)


def _known(db: Session, prefix: str) -> None:
    try:
        service.find_key(db, prefix)
    except LookupError:
        raise HTTPException(status_code=404, detail=f"no API key {prefix}") from None


@router.post("/screen-keys/{prefix}/rotate", name="screen_key_rotate")
def rotate_key(request: Request, db: DbDep, principal: Administrator, prefix: str) -> Response:
    _known(db, prefix)
    try:
        key, token = service.rotate_key(db, prefix, principal.username)
    except ValueError as exc:
        db.rollback()
        return _page(request, db, error=str(exc), status_code=400)
    db.commit()
    return _page(request, db, token=token, created=key)


@router.post("/screen-keys/{prefix}/revoke", name="screen_key_revoke")
def revoke_key(request: Request, db: DbDep, principal: Administrator, prefix: str) -> Response:
    _known(db, prefix)
    service.revoke_key(db, prefix, principal.username)
    db.commit()
    request.session[FLASH_KEY] = {"key": "screen_keys.done.revoked", "params": {"prefix": prefix}}
    return RedirectResponse("/screen-keys", status_code=303)
