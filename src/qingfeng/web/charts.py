"""ECharts options as data: a JSON skeleton per chart kind (charts/*.json), filled by one small
function with categories and series. Every data point may carry `url`, the list behind it
(static/app.js opens it on click)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CHARTS_DIR = Path(__file__).parent / "charts"


@dataclass(frozen=True)
class Point:
    label: str
    value: float | int
    url: str = ""
    color: str = ""


@cache
def _skeleton(kind: str) -> dict[str, Any]:
    path = CHARTS_DIR / f"{kind}.json"
    if not path.exists():
        raise ValueError(f"no chart skeleton {path.name} in {CHARTS_DIR}")
    return json.loads(path.read_text(encoding="utf-8"))


def _item(p: Point, with_name: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"value": p.value}
    if with_name:
        item["name"] = p.label
    if p.url:
        item["url"] = p.url
    if p.color:
        item["itemStyle"] = {"color": p.color}
    return item


def pie(points: list[Point]) -> dict[str, Any]:
    option = copy.deepcopy(_skeleton("pie"))
    option["series"][0]["data"] = [_item(p, True) for p in points]
    return option


def bars(kind: str, categories: list[str], series: list[tuple[str, list[Point]]]) -> dict[str, Any]:
    """A bar (kind "bar", "hbar") or line ("line") chart: one category axis, up to two series."""
    option = copy.deepcopy(_skeleton(kind))
    axis = "yAxis" if kind == "hbar" else "xAxis"
    option[axis]["data"] = categories
    templates = option["series"]
    if len(series) > len(templates):
        raise ValueError(f"chart {kind} takes at most {len(templates)} series")
    option["series"] = [
        {**templates[i], "name": name, "data": [_item(p, False) for p in points]}
        for i, (name, points) in enumerate(series)
    ]
    if len(series) < 2:
        option.pop("legend", None)
        option["grid"]["top"] = 8
    return option
