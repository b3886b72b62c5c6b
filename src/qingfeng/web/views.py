"""Saved views of the warnings list, stored by the closed loop (`saved_filters`, in its
WarningQuery shape) so that the API, the CLI and the pages share them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qingfeng.web.queries.warnings import WarningFilters

# The list's sort names ↔ the loop's.
_SORT_TO_LOOP = {
    "risk": "-risk",
    "newest": "-created_at",
    "oldest": "created_at",
    "amount": "-amount",
    "due": "due_at",
}
_SORT_FROM_LOOP = {v: k for k, v in _SORT_TO_LOOP.items()}


class ViewError(ValueError):
    """These filters cannot be kept as a saved view; the message says which."""


def to_loop_query(f: WarningFilters) -> dict[str, Any]:
    if f.q or f.field:
        raise ViewError(
            "搜索词和领域筛选不能保存为视图 / search text and field cannot be saved in a view"
        )
    query: dict[str, Any] = {"sort": _SORT_TO_LOOP[f.order]}
    if f.queue:
        query["queue"] = f.queue
    if f.status:
        query["status"] = [f.status]
    if f.severity:
        query["severity"] = [f.severity]
    if f.model:
        query["model_id"] = [f.model]
    if f.region:
        query["division_code"] = f.region
    if f.due:
        query["due"] = f.due
    if f.month:
        query["created_from"] = f"{f.month}-01T00:00:00+00:00"
    return query


def to_list_query(query: dict[str, Any]) -> str:
    """The list URL's query string for a saved view."""
    params: dict[str, str] = {}
    for key, name in (("status", "status"), ("severity", "severity"), ("model_id", "model")):
        values = query.get(key) or []
        if values:
            params[name] = str(values[0])
    if query.get("division_code"):
        params["region"] = str(query["division_code"])
    if query.get("due"):
        params["due"] = str(query["due"])
    if query.get("created_from"):
        params["month"] = datetime.fromisoformat(str(query["created_from"])).strftime("%Y-%m")
    if query.get("queue"):
        params["queue"] = str(query["queue"])
    sort = _SORT_FROM_LOOP.get(str(query.get("sort", "")), "risk")
    if sort != "risk":
        params["sort"] = sort
    return WarningFilters.parse(params).query_string()
