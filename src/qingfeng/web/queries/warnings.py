"""The warnings list and detail: filters parsed and checked, scope applied, one page fetched."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, case, false, func, select
from sqlalchemy.orm import Session

from qingfeng.hits import SEVERITIES
from qingfeng.store.models import User, Warning
from qingfeng.store.scope import scoped_warnings
from qingfeng.web.catalogue import FIELDS, ModelInfo, models_in_field
from qingfeng.web.scope import Principal, division_filter

SORTS = ("newest", "oldest", "amount", "severity")
PAGE_SIZES = (20, 50, 100)
COUNT_CAP = 100_000  # beyond this the list says "100,000+"; the export still has every row
_STATUS_RE = re.compile(r"^[a-z_]{1,20}$")
_MODEL_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
_SUBJECT_ID_RE = re.compile(r"^[0-9A-Za-z]{6,64}$")


class FilterError(ValueError):
    """A filter value in the request is not acceptable; names the parameter."""

    def __init__(self, param: str, value: str, why: str) -> None:
        super().__init__(f"{param}={value!r}: {why}")
        self.param = param
        self.value = value
        self.why = why


@dataclass(frozen=True)
class WarningFilters:
    model: str = ""
    field: str = ""
    severity: str = ""
    status: str = ""
    region: str = ""  # division code prefix
    q: str = ""
    sort: str = "newest"
    page: int = 1
    per_page: int = 50

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> WarningFilters:
        """From query parameters; a bad value raises FilterError naming it."""

        def get(name: str) -> str:
            return (params.get(name) or "").strip()

        model, fld, sev, status, region, q = (
            get("model"),
            get("field"),
            get("severity"),
            get("status"),
            get("region"),
            get("q"),
        )
        if model and not _MODEL_RE.match(model):
            raise FilterError("model", model, "not a model id")
        if fld and fld not in FIELDS:
            raise FilterError("field", fld, "unknown field")
        if sev and sev not in SEVERITIES:
            raise FilterError("severity", sev, f"choose one of {', '.join(SEVERITIES)}")
        if status and not _STATUS_RE.match(status):
            raise FilterError("status", status, "not a status")
        if region and not (region.isdigit() and len(region) <= 12):
            raise FilterError("region", region, "a division code prefix has up to 12 digits")
        if len(q) > 64:
            raise FilterError("q", q[:20] + "…", "search text is limited to 64 characters")
        sort = get("sort") or "newest"
        if sort not in SORTS:
            raise FilterError("sort", sort, f"choose one of {', '.join(SORTS)}")
        page = _positive_int(get("page") or "1", "page")
        per_page = _positive_int(get("per_page") or "50", "per_page")
        if per_page not in PAGE_SIZES:
            raise FilterError("per_page", str(per_page), f"choose one of {PAGE_SIZES}")
        return cls(model, fld, sev, status, region, q, sort, page, per_page)

    def query_string(self, **changes: Any) -> str:
        """The URL query for these filters with some changed (defaults left out)."""
        merged = replace(self, **changes)
        defaults = WarningFilters()
        pairs = {
            k: v
            for k, v in merged.__dict__.items()
            if v != getattr(defaults, k) and v not in ("", None)
        }
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return any((self.model, self.field, self.severity, self.status, self.region, self.q))


def _positive_int(text: str, name: str) -> int:
    if not text.isdigit() or int(text) < 1 or int(text) > 10_000_000:
        raise FilterError(name, text, "must be a positive whole number")
    return int(text)


@dataclass
class WarningPage:
    filters: WarningFilters
    rows: list[Warning]
    total: int
    total_capped: bool
    pages: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def first_index(self) -> int:
        return (self.filters.page - 1) * self.filters.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def scoped_select(session: Session, principal: Principal) -> Select[Any]:
    """Every warning query starts here: the closed loop's scope for this user, always."""
    user = session.get(User, principal.user_id)
    if user is None:
        return select(Warning).where(false())
    return scoped_warnings(session, user)


def _filtered(
    session: Session,
    principal: Principal,
    filters: WarningFilters,
    catalogue: dict[str, ModelInfo],
) -> Select[Any]:
    stmt = scoped_select(session, principal)
    if filters.model:
        stmt = stmt.where(Warning.model_id == filters.model)
    if filters.field:
        stmt = stmt.where(Warning.model_id.in_(models_in_field(catalogue, filters.field)))
    if filters.severity:
        stmt = stmt.where(Warning.severity == filters.severity)
    if filters.status:
        stmt = stmt.where(Warning.status == filters.status)
    if filters.region:
        stmt = stmt.where(division_filter(Warning.division_code, filters.region))
    if filters.q:
        if _SUBJECT_ID_RE.match(filters.q):
            # ID numbers and codes: an exact or prefix match walks the subject_id index.
            stmt = stmt.where(division_filter_like(Warning.subject_id, filters.q.upper()))
        else:
            escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Warning.subject_name.like(f"%{escaped}%", escape="\\"))
    return stmt


def division_filter_like(column: Any, prefix: str) -> Any:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"{escaped}%", escape="\\")


_SEVERITY_RANK = case({s: i for i, s in enumerate(SEVERITIES)}, value=Warning.severity, else_=9)


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    if sort == "oldest":
        return stmt.order_by(Warning.id.asc())
    if sort == "amount":
        return stmt.order_by(Warning.amount.desc().nulls_last(), Warning.id.desc())
    if sort == "severity":
        return stmt.order_by(_SEVERITY_RANK, Warning.id.desc())
    return stmt.order_by(Warning.id.desc())


def list_warnings(
    session: Session,
    principal: Principal,
    filters: WarningFilters,
    catalogue: dict[str, ModelInfo],
) -> WarningPage:
    stmt = _filtered(session, principal, filters, catalogue)
    capped = stmt.with_only_columns(Warning.id).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    total_capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // filters.per_page))
    page = min(filters.page, pages)
    if page != filters.page:
        filters = replace(filters, page=page)
    rows = list(
        session.scalars(
            _ordered(stmt, filters.sort)
            .limit(filters.per_page)
            .offset((page - 1) * filters.per_page)
        )
    )
    return WarningPage(filters, rows, total, total_capped, pages)


def iter_export(
    session: Session,
    principal: Principal,
    filters: WarningFilters,
    catalogue: dict[str, ModelInfo],
    batch: int = 5000,
) -> Iterator[Warning]:
    """Every warning matching the filters, in list order, fetched in batches (for CSV export)."""
    stmt = _ordered(_filtered(session, principal, filters, catalogue), filters.sort)
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def get_warning(session: Session, principal: Principal, warning_id: int) -> Warning | None:
    """One warning if it exists *and* lies in the user's scope; otherwise None (→ 404)."""
    return session.scalar(scoped_select(session, principal).where(Warning.id == warning_id))
