"""The data page's inputs: published lake batches (lake/_catalogue.json) and ingest reports
(reports/ingest-*.json). Both are read as written by the data station; a file that cannot be
read is listed with the reason instead of breaking the page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qingfeng.settings import Settings

CATALOGUE_FILE = "_catalogue.json"
REPORTS_SHOWN = 30


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    dataset: str
    source: str
    created_at: str
    counts: dict[str, int]
    quarantined: bool = False


@dataclass(frozen=True)
class ReportRow:
    name: str
    started_at: str
    reconciled: bool | None
    totals: dict[str, int]
    sources: list[dict[str, Any]]
    error: str = ""


@dataclass
class DataOverview:
    batches: list[BatchRow] = field(default_factory=list)
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)  # dataset → summed counts
    reports: list[ReportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def data_overview(settings: Settings) -> DataOverview:
    out = DataOverview()
    from qingfeng.lake.location import lake_root

    root = lake_root(settings)
    catalogue = root.uri(CATALOGUE_FILE)
    body = root.read_bytes(CATALOGUE_FILE)
    if body is not None:
        try:
            raw = json.loads(body.decode("utf-8"))
            for b in raw.get("batches", []):
                counts = {k: int(v) for k, v in (b.get("counts") or {}).items()}
                out.batches.append(
                    BatchRow(
                        str(b.get("batch_id", "")),
                        str(b.get("dataset", "")),
                        str(b.get("source", "")),
                        str(b.get("created_at", "")),
                        counts,
                        bool(b.get("quarantine_files")),
                    )
                )
        except (ValueError, TypeError, AttributeError) as exc:
            out.errors.append(f"{catalogue}: {exc}")
    out.batches.sort(key=lambda b: b.created_at, reverse=True)
    for b in out.batches:
        summed = out.datasets.setdefault(b.dataset, {"batches": 0})
        summed["batches"] += 1
        for k, v in b.counts.items():
            summed[k] = summed.get(k, 0) + v
    reports = sorted(settings.reports_dir.glob("ingest-*.json"), reverse=True)[:REPORTS_SHOWN]
    for path in reports:
        try:
            raw = _read_json(path)
            out.reports.append(
                ReportRow(
                    path.name,
                    str(raw.get("started_at", "")),
                    raw.get("reconciled"),
                    {k: int(v) for k, v in (raw.get("totals") or {}).items()},
                    [s for s in raw.get("sources", []) if isinstance(s, dict)],
                )
            )
        except (ValueError, TypeError, AttributeError) as exc:
            out.reports.append(ReportRow(path.name, "", None, {}, [], error=str(exc)))
    return out
