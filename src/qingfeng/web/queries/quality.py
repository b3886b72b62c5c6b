"""Data-quality figures for the Data page, from `qingfeng.quality.assess` (DuckDB over the lake).

The assessment reads every published dataset, so it is kept per app until the lake's catalogue
changes (a new batch) or the day turns (timeliness counts days).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from qingfeng.lake.store import CATALOGUE_FILE
from qingfeng.quality import QualityReport, assess
from qingfeng.settings import Settings
from qingfeng.web.charts import Point, bars
from qingfeng.web.i18n import Translator
from qingfeng.web.labels import dataset_label


@dataclass
class QualityView:
    report: QualityReport | None
    charts: dict[str, Any]
    error: str | None = None


class QualityCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._report: QualityReport | None = None

    def get(self, settings: Settings) -> QualityReport | None:
        from qingfeng.lake.location import lake_root

        stamp = lake_root(settings).stamp(CATALOGUE_FILE)
        if stamp == (0, 0):
            return None
        key = (stamp[0], dt.date.today().isoformat())
        with self._lock:
            if key != self._key:
                self._report = assess(settings)
                self._key = key
            return self._report


def _pct(value: float) -> float:
    return round(100 * value, 1)


def quality_charts(report: QualityReport, t: Translator) -> dict[str, Any]:
    """Two charts: completeness / validity / uniqueness per dataset (%), quarantine rate (%)."""
    names = [dataset_label(t, d.dataset) for d in report.datasets]
    completeness, validity, uniqueness, quarantine = [], [], [], []
    for d, name in zip(report.datasets, names, strict=True):
        required = [f.completeness for f in d.fields if f.required] or [1.0]
        checked = [f for f in d.fields if f.filled + f.invalid]
        valid = sum(f.filled for f in checked) / max(sum(f.filled + f.invalid for f in checked), 1)
        url = f"/data#quality-{d.dataset}"
        completeness.append(Point(name, _pct(sum(required) / len(required)), url))
        validity.append(Point(name, _pct(valid if checked else 1.0), url))
        uniqueness.append(Point(name, _pct(d.uniqueness), url))
        read = d.rows + d.quarantined + d.duplicates_removed
        quarantine.append(Point(name, _pct(d.quarantined / read) if read else 0.0, url))
    return {
        "dimensions": bars(
            "quality",
            names,
            [
                (t("quality.completeness"), completeness),
                (t("quality.validity"), validity),
                (t("quality.uniqueness"), uniqueness),
            ],
        ),
        "quarantine": bars("hbar", names, [(t("quality.quarantine_rate"), quarantine)]),
    }


def quality_view(cache: QualityCache, settings: Settings, t: Translator) -> QualityView:
    try:
        report = cache.get(settings)
    except Exception as exc:  # a broken batch must not take the Data page down; say which
        return QualityView(None, {}, f"{type(exc).__name__}: {exc}")
    if report is None:
        return QualityView(None, {})
    return QualityView(report, quality_charts(report, t))
