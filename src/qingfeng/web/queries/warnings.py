"""The warnings list and detail: filters parsed and checked, scope applied, one page fetched."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, func, select

from qingfeng.hits import SEVERITIES
from qingfeng.loop.machine import STATES, Actor
from qingfeng.loop.query import SORTS as LOOP_SORTS
from qingfeng.loop.query import WarningQuery, filtered
from qingfeng.loop.queues import QUEUES
from qingfeng.store.models import Warning
from qingfeng.store.scope import division_prefix
from qingfeng.web.model_index import FIELDS, ModelInfo, models_in_field
from qingfeng.web.queries.screen import OPEN_LEADS, PERIOD_CHARS
from qingfeng.web.roles import Area, allows

SORTS = ("risk", "newest", "oldest", "amount", "due")
DEFAULT_SORT = "risk"  # the ranked list (qingfeng.loop.risk); a queue may open with its own
DUES = ("overdue", "soon")
PAGE_SIZES = (20, 50, 100)
# Beyond this the list says "10,000+": an exact count over a million rows costs a table scan.
# The dashboard has the exact totals, and the export every row.
COUNT_CAP = 10_000
_MODEL_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
_SUBJECT_ID_RE = re.compile(r"^[0-9A-Za-z]{6,64}$")
_FULL_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MONTH_RE = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")
# A bucket of the period trend: the first 7 characters of a period ("2024-05", "2024", "2024-Q1").
_PERIOD_RE = re.compile(r"^[0-9][0-9A-Za-z\-]{3,6}$")
DENSITIES = ("compact",)


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
    due: str = ""  # "overdue" | "soon" (deadline within the loop's warning horizon)
    month: str = ""  # YYYY-MM the warning was found in (UTC)
    q: str = ""
    sort: str = ""  # empty: the queue's own order, else the risk ranking
    page: int = 1
    per_page: int = 50
    queue: str = ""  # a work queue (qingfeng.loop.queues)
    org: int = 0  # the unit handling the warning (the big screen's ranking of units)
    period: str = ""  # the period of the irregularity, its first 7 characters ("2024-05")
    open: str = ""  # "1": leads still to be handled (qingfeng.web.queries.screen.OPEN_LEADS)
    density: str = ""  # "compact": smaller rows, 25 or more on a 1366×768 screen

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
        if status and status not in STATES:
            raise FilterError("status", status, f"choose one of {', '.join(STATES)}")
        if region and not (region.isdigit() and len(region) <= 12):
            raise FilterError("region", region, "a division code prefix has up to 12 digits")
        due = get("due")
        if due and due not in DUES:
            raise FilterError("due", due, f"choose one of {', '.join(DUES)}")
        month = get("month")
        if month and not _MONTH_RE.match(month):
            raise FilterError("month", month, "a month is written YYYY-MM")
        if len(q) > 64:
            raise FilterError("q", q[:20] + "…", "search text is limited to 64 characters")
        sort = get("sort")
        if sort and sort not in SORTS:
            raise FilterError("sort", sort, f"choose one of {', '.join(SORTS)}")
        queue = get("queue")
        if queue and queue not in QUEUES:
            raise FilterError("queue", queue, f"choose one of {', '.join(QUEUES)}")
        page = _positive_int(get("page") or "1", "page")
        per_page = _positive_int(get("per_page") or "50", "per_page")
        if per_page not in PAGE_SIZES:
            raise FilterError("per_page", str(per_page), f"choose one of {PAGE_SIZES}")
        org = _positive_int(get("org"), "org") if get("org") else 0
        period = get("period")
        if period and not _PERIOD_RE.match(period):
            raise FilterError("period", period, "a period is written YYYY-MM or YYYY")
        open_ = get("open")
        if open_ and open_ != "1":
            raise FilterError("open", open_, "write open=1 for the leads still to be handled")
        density = get("density")
        if density and density not in DENSITIES:
            raise FilterError("density", density, f"choose one of {', '.join(DENSITIES)}")
        return cls(
            model,
            fld,
            sev,
            status,
            region,
            due,
            month,
            q,
            sort,
            page,
            per_page,
            queue,
            org=org,
            period=period,
            open=open_,
            density=density,
        )

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
    def order(self) -> str:
        """The sort in effect: the chosen one, else the queue's, else the risk ranking."""
        if self.sort:
            return self.sort
        if self.queue:
            return _QUEUE_ORDER[QUEUES[self.queue].sort]
        return DEFAULT_SORT

    @property
    def active(self) -> bool:
        return any(
            (
                self.model,
                self.field,
                self.severity,
                self.status,
                self.region,
                self.due,
                self.month,
                self.q,
                self.org,
                self.period,
                self.open,
            )
        )


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


def _filtered(
    actor: Actor, filters: WarningFilters, catalogue: dict[str, ModelInfo]
) -> Select[Any]:
    """The closed loop's scoped, filtered select, plus the back office's own filters."""
    month_start, month_end = _month_range(filters.month)
    stmt = filtered(
        actor,
        WarningQuery(
            status=[filters.status] if filters.status else [],
            severity=[filters.severity] if filters.severity else [],
            model_id=[filters.model] if filters.model else [],
            due=filters.due or None,  # type: ignore[arg-type]
            queue=filters.queue or None,
            org_id=filters.org or None,
            created_from=month_start,
            created_to=month_end,
        ),
    )
    if not filters.status:
        # Merged warnings are duplicates of another; they show only when asked for by status.
        stmt = stmt.where(Warning.status != "merged")
    if filters.field == "other":
        # "other" also holds models the catalogue does not know (e.g. since removed).
        known = [m.id for m in catalogue.values() if m.field != "other"]
        stmt = stmt.where(Warning.model_id.not_in(known))
    elif filters.field:
        stmt = stmt.where(Warning.model_id.in_(models_in_field(catalogue, filters.field)))
    if filters.region:
        stmt = stmt.where(division_prefix(Warning.division_code, filters.region))
    if filters.period:
        stmt = stmt.where(period_filter(filters.period))
    if filters.open:
        stmt = stmt.where(Warning.status.in_(OPEN_LEADS))
    if filters.q:
        stmt = stmt.where(search_clause(filters.q, actor.user.role))
    return stmt


def is_full_id(text: str) -> bool:
    """A whole 18-character resident ID number (the only way to search a person by number)."""
    return bool(_FULL_ID_RE.match(text.strip().upper()))


def search_clause(q: str, role: str) -> ColumnElement[bool]:
    """What the list's search box matches.

    A person is found by the whole ID number only: a prefix would let anyone rebuild a masked
    number digit by digit. Other subjects (credit codes, plates) match by prefix. Names match by
    prefix (surname first) for roles that see names; for the others, only the names of subjects
    that are not people (a masked name must not be guessed letter by letter either).
    """
    text = q.strip()
    if is_full_id(text):
        return Warning.subject_id == text.upper()
    not_person = Warning.subject_type != "person"
    if _SUBJECT_ID_RE.match(text):
        # Codes: a prefix of subject_id, served by its index.
        return and_(prefix_filter(Warning.subject_id, text.upper()), not_person)
    # Names: a prefix (surname first), served by the subject_name index.
    by_name = prefix_filter(Warning.subject_name, text)
    return by_name if allows(role, Area.PEOPLE) else and_(by_name, not_person)


def _month_range(month: str) -> tuple[datetime | None, datetime | None]:
    if not month:
        return None, None
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def period_filter(bucket: str) -> ColumnElement[bool]:
    """Warnings whose period falls in a bucket of the big screen's trend (its first
    PERIOD_CHARS characters), written so that ix_warnings_period serves it: a full-length bucket
    is a prefix ("2024-05" holds "2024-05" and "2024-05-17"), a shorter one the period itself
    ("2024" holds the yearly "2024" only)."""
    if len(bucket) < PERIOD_CHARS:
        return Warning.period == bucket
    return prefix_filter(Warning.period, bucket)


def prefix_filter(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix` (wildcards literal): an index range plus an exact LIKE."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(
        column >= prefix,
        column < prefix + "\U0010ffff",
        column.like(f"{escaped}%", escape="\\"),
    )


# A queue's opening order (the loop's sort key) as the list's sort.
_QUEUE_ORDER = {"-risk": "risk", "due_at": "due"}

# The list's sorts in the closed loop's terms: each walks one index (migration 0003).
_ORDER: dict[str, tuple[Any, ...]] = {
    "risk": LOOP_SORTS["-risk"],
    "newest": LOOP_SORTS["-id"],
    "oldest": LOOP_SORTS["id"],
    "amount": LOOP_SORTS["-amount"],
    "due": LOOP_SORTS["due_at"],
}


def list_warnings(
    actor: Actor, filters: WarningFilters, catalogue: dict[str, ModelInfo]
) -> WarningPage:
    session = actor.session
    stmt = _filtered(actor, filters, catalogue)
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
            stmt.order_by(*_ORDER[filters.order])
            .limit(filters.per_page)
            .offset((page - 1) * filters.per_page)
        )
    )
    return WarningPage(filters, rows, total, total_capped, pages)


def iter_export(
    actor: Actor, filters: WarningFilters, catalogue: dict[str, ModelInfo], batch: int = 5000
) -> Iterator[Warning]:
    """Every warning matching the filters, in list order, fetched in batches (for CSV export)."""
    stmt = _filtered(actor, filters, catalogue).order_by(*_ORDER[filters.order])
    yield from actor.session.scalars(stmt.execution_options(yield_per=batch))
