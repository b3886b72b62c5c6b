"""Batch before payment (发放前比对): a department's pay list screened as a whole.

The file goes through ingest exactly as any department file does (any format ingest reads, the
workspace's saved column mappings, the same normalisation and quarantine) — but into a scratch
lake, so nothing is published to the workspace's own lake. Its rows are then the candidates of
the screening models against the workspace's lake. The report holds each row that a model found
(its decision and every reason), every row ingest refused (with the rule it broke), and totals
per decision and per reason, written as JSON and xlsx.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qingfeng.screening.config import strictest
from qingfeng.screening.engine import Reason, Screener, ScreeningError
from qingfeng.settings import Settings


@dataclass
class FileReport:
    source: str
    dataset: str
    snapshot: dict[str, Any]
    rows: int
    decisions: dict[str, int]
    reasons: dict[str, dict[str, Any]]
    flagged: list[dict[str, Any]] = field(default_factory=list)  # rows with a reason
    refused: list[dict[str, Any]] = field(default_factory=list)  # rows ingest quarantined
    duration_s: float = 0.0

    @property
    def blocked(self) -> int:
        return self.decisions.get("block", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dataset": self.dataset,
            "snapshot": self.snapshot,
            "rows": self.rows,
            "totals": {"decisions": self.decisions, "reasons": self.reasons},
            "flagged": self.flagged,
            "refused": self.refused,
            "duration_s": round(self.duration_s, 3),
        }


def screen_file(
    settings: Settings,
    path: Path,
    *,
    screener: Screener | None = None,
    today: dt.date | None = None,
) -> FileReport:
    """Ingest `path` into a scratch lake with the workspace's mappings, screen its rows."""
    import time

    from qingfeng.ingest import ingest_path
    from qingfeng.lake import Lake

    started = time.perf_counter()
    screener = screener or Screener(settings, warm=False)  # one batch: read the lake in place
    scratch = Path(tempfile.mkdtemp(prefix="qingfeng-screen-"))
    try:
        scratch_settings = settings.model_copy(update={"workspace": scratch})
        for sub in ("lake", "reports", "sources"):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        if settings.mappings_dir.is_dir():
            shutil.copytree(settings.mappings_dir, scratch_settings.mappings_dir)
        report = ingest_path(scratch_settings, Path(path), assume_yes=True)
        lake = Lake(scratch_settings.lake_dir)
        landed = {d: [str(p) for p in lake.files(d)] for d in lake.datasets()}
        screened = [d for d in screener.datasets() if landed.get(d)]
        if not screened:
            found = ", ".join(sorted(landed)) or "none"
            problems = "; ".join(
                f"{s.source}: {s.status} {getattr(s, 'message', '') or ''}".strip()
                for s in report.sources
            )
            raise ScreeningError(
                f"{path}: 没有可筛查的数据 / no rows of a screened dataset "
                f"({', '.join(screener.datasets())}) in the file; recognised: {found}. {problems}"
            )
        dataset = screened[0]
        snapshot, reasons, rows = screener.screen_files(dataset, landed, today=today)
        refused = _quarantined(scratch_settings)
        sources = {b.batch_id: b.source for b in lake.batches()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows["source"] = [sources.get(str(b), str(b)) for b in rows["_batch_id"]]
    return _report(Path(path).name, dataset, snapshot.to_json(), reasons, rows, refused, started)


def _quarantined(settings: Settings) -> list[dict[str, Any]]:
    from qingfeng.lake import connect

    con = connect(settings)
    try:
        rows = con.execute(
            "SELECT dataset, source, source_row, rules FROM quarantine ORDER BY source, source_row"
        ).fetchall()
    finally:
        con.close()
    return [
        {"dataset": d, "source": s, "row": int(r), "decision": "error", "rules": rules}
        for d, s, r, rules in rows
    ]


def _report(
    source: str,
    dataset: str,
    snapshot: dict[str, Any],
    reasons: dict[int, list[Reason]],
    rows: Any,
    refused: list[dict[str, Any]],
    started: float,
) -> FileReport:
    import time

    n = len(rows["__ref"])
    decisions = Counter({"allow": n - len(reasons), "review": 0, "block": 0})
    per_reason: dict[str, dict[str, Any]] = {}
    flagged = []
    sources, lines = rows["source"], rows["_source_row"]
    for ref in sorted(reasons):
        found = reasons[ref]
        decision = strictest([r.decision for r in found])
        decisions[decision] += 1
        for r in found:
            entry = per_reason.setdefault(
                r.model_id, {"model_name": r.model_name, "decision": r.decision, "rows": 0}
            )
            entry["rows"] += 1
        flagged.append(
            {
                "source": str(sources[ref]),
                "row": int(lines[ref]),
                "decision": decision,
                "reasons": [r.to_json() for r in found],
            }
        )
    decisions["error"] = len(refused)
    return FileReport(
        source=source,
        dataset=dataset,
        snapshot=snapshot,
        rows=n,
        decisions=dict(decisions),
        reasons=per_reason,
        flagged=flagged,
        refused=refused,
        duration_s=time.perf_counter() - started,
    )


DECISION_ZH = {"allow": "放行", "review": "暂缓待核", "block": "阻断", "error": "无法筛查"}


def write_reports(report: FileReport, out: Path) -> tuple[Path, Path]:
    """`out`.json and `out`.xlsx (sheets 汇总 totals, 明细 flagged rows, 拒收 refused rows)."""
    import xlsxwriter

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_suffix(".json")
    json_path.write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    xlsx_path = out.with_suffix(".xlsx")
    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    try:
        snap = report.snapshot
        totals: list[list[Any]] = [
            ["文件 source", report.source],
            ["数据集 dataset", report.dataset],
            ["数据湖快照 snapshot", snap.get("id"), snap.get("published_at")],
            ["行数 rows", report.rows],
            [],
            ["结论 decision", "行数 rows"],
            *[
                [f"{DECISION_ZH[d]} {d}", report.decisions.get(d, 0)]
                for d in ("block", "review", "allow", "error")
            ],
            [],
            ["模型 model", "名称 name", "结论 decision", "行数 rows"],
            *[
                [model_id, e["model_name"], e["decision"], e["rows"]]
                for model_id, e in sorted(report.reasons.items())
            ],
        ]
        _sheet(book, "汇总", totals)
        detail: list[list[Any]] = [
            [
                "来源 source",
                "行号 row",
                "结论 decision",
                "模型 model",
                "理由 sentence",
                "依据 legal basis",
            ]
        ]
        for row in report.flagged:
            for reason in row["reasons"]:
                basis = "；".join(
                    b["document"] + (b.get("article") or "") for b in reason["legal_basis"]
                )
                detail.append(
                    [row["source"], row["row"], DECISION_ZH[row["decision"]],
                     reason["model_name"], reason["sentence"], basis]
                )  # fmt: skip
        _sheet(book, "明细", detail)
        refused: list[list[Any]] = [["来源 source", "行号 row", "数据集 dataset", "规则 rules"]]
        refused += [[r["source"], r["row"], r["dataset"], r["rules"]] for r in report.refused]
        _sheet(book, "拒收", refused)
    finally:
        book.close()
    return json_path, xlsx_path


def _sheet(book: Any, name: str, rows: list[list[Any]]) -> None:
    sheet = book.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:  # ID numbers and codes stay text
                sheet.write_string(r, c, "" if value is None else str(value))
