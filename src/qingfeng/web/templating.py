"""Jinja2 environment and the one `render` helper every page uses.

`render` adds the translator, the signed-in user, the CSRF token and the navigation, and returns
only the named partial when HTMX asks for a fragment, so pages and fragments share templates.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from qingfeng.localtime import format_time, settings_zone
from qingfeng.loop.risk import describe as risk_describe
from qingfeng.masking import birth_year, mask_id, mask_name
from qingfeng.web.i18n import LANG_COOKIE, LANGUAGES, Translator, pick_language
from qingfeng.web.labels import (
    audit_action,
    audit_object,
    code_label,
    dataset_label,
    field_label,
    model_text,
    one_language,
    one_side,
    param_value,
    readable_detail,
    readable_json,
    value_label,
)
from qingfeng.web.roles import Area, allows

TEMPLATES_DIR = Path(__file__).parent / "templates"

# (area, path, message key) in sidebar order.
NAV: tuple[tuple[Area, str, str], ...] = (
    (Area.DASHBOARD, "/dashboard", "nav.dashboard"),
    (Area.WARNINGS, "/warnings", "nav.warnings"),
    (Area.SUPERVISION, "/supervision", "nav.supervision"),
    (Area.PEOPLE, "/people", "nav.people"),
    (Area.MODELS, "/models", "nav.models"),
    (Area.DATA, "/data", "nav.data"),
    (Area.PUBLICATIONS, "/portal/publications", "nav.portal_publications"),
    (Area.COMPLAINTS, "/portal/complaints", "nav.portal_complaints"),
    (Area.AUDIT, "/audit", "nav.audit"),
    (Area.USERS, "/users", "nav.users"),
    (Area.USERS, "/screen-keys", "nav.screen_keys"),
)


def money(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.2f}"


def number(value: int | float | None) -> str:
    return "—" if value is None else f"{value:,}"


# Times are stored in UTC; people read them in the workspace's zone (Settings.timezone), through
# the one helper the portal and the exports use too (qingfeng.localtime).
def _zone_of(context: Any) -> tzinfo:
    request = context.get("request")
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return settings_zone(settings)


@pass_context
def when(context: Any, value: datetime | None) -> str:
    return format_time(value, _zone_of(context), "minute")


@pass_context
def day(context: Any, value: datetime | None) -> str:
    return format_time(value, _zone_of(context), "day")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters.update(
        mask_id=lambda v: mask_id(v) or "",
        mask_name=lambda v: mask_name(v) or "",
        birth_year=birth_year,
        money=money,
        number=number,
        when=when,
        day=day,
    )
    env.filters["readable_json"] = readable_json
    env.globals["audit_action"] = audit_action
    env.globals["audit_object"] = audit_object
    env.globals["code_label"] = code_label
    env.globals["field_label"] = field_label
    env.globals["dataset_label"] = dataset_label
    env.globals["value_label"] = value_label
    env.globals["one_language"] = one_language
    env.globals["model_text"] = model_text
    env.globals["one_side"] = one_side
    env.globals["readable_detail"] = readable_detail
    env.globals["dataset_label"] = dataset_label
    env.globals["param_value"] = param_value
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["user_error"] = user_error
    env.globals["risk_describe"] = risk_describe
    return templates


def user_error(t: Translator, exc: Exception) -> str:
    """A refused user or organisation change in the reader's language (`users.error.<key>`),
    else the store's own bilingual message."""
    key = f"users.error.{getattr(exc, 'key', '')}"
    params = getattr(exc, "params", {}) or {}
    return t(key, **params) if getattr(exc, "key", "") and t.has(key) else str(exc)


def translator_for(request: Request) -> Translator:
    settings = request.app.state.settings
    return Translator(
        pick_language(
            request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), settings.language
        )
    )


def is_htmx(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _with_param(request: Request, name: str, value: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != name]
    params.append((name, value))
    return f"{request.url.path}?{urlencode(params)}"


def _queue_links(request: Request, principal: Any) -> list[Any]:
    if principal is None or is_htmx(request):  # fragments have no sidebar
        return []
    from qingfeng.web.queue_nav import queue_links

    return queue_links(request, principal)


def _unread(request: Request, principal: Any) -> int:
    """The signed-in user's unread notifications, for the badge of the top bar."""
    from qingfeng.loop.notifications import unread_count

    if principal is None:
        return 0
    with request.app.state.sessions() as session:
        return unread_count(session, principal.user_id)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a full page, or only `fragment` (a partial template) for an HTMX request."""
    from qingfeng.web.deps import csrf_token

    t = translator_for(request)
    principal = getattr(request.state, "principal", None)
    ctx: dict[str, Any] = {
        "t": t,
        "lang": t.lang,
        "principal": principal,
        "csrf_token": csrf_token(request),
        "nav": [
            (path, key)
            for area, path, key in NAV
            if principal is not None and allows(principal.role, area)
        ],
        "queues": _queue_links(request, principal),
        "path": request.url.path,
        "query": request.url.query,
        "lang_url": lambda code: _with_param(request, "lang", code),
        "unread_notifications": lambda: _unread(request, principal),
    }
    ctx.update(context or {})
    name = fragment if fragment and is_htmx(request) else template
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", httponly=True)
    if is_htmx(request):
        response.headers["Vary"] = "HX-Request"
    return response
