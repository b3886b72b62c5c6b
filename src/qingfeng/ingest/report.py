"""The ingest report: per source, where every input row went, and whether the counts reconcile."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RULE_TEXT: dict[str, str] = {
    "required": "必填字段为空 / required value missing",
    "required_one": "至少需要其中一个字段 / at least one of these fields is required",
    "invalid": "无法识别的值 / value not recognised",
    "format": "格式错误 / wrong format",
    "birth_date": "身份证出生日期无效 / impossible birth date in the ID number",
    "check_digit": "校验位错误 / wrong check digit",
    "below_min": "小于允许的最小值 / below the minimum",
    "above_max": "大于允许的最大值 / above the maximum",
    "pattern": "不符合规定格式 / does not match the required pattern",
    "unknown_code": "代码或取值不在代码表中 / code not in the code table",
    "unknown_boolean": "无法识别的是/否写法 / yes/no spelling not recognised",
    "ambiguous_date": "日、月顺序无法确定（如 05/09/2024） / day and month order cannot be told "
    "(e.g. 05/09/2024)",
    "malformed_row": "行的列数与表头不符或引号未闭合 "
    "/ row does not fit the header (columns, quotes)",
    "key_conflict": "唯一键相同但此列不同（各行的值见 detail）"
    "/ same unique key, this column differs (each row's value in detail)",
    "parent_conflict": "同一上级记录的重复列取值矛盾（各行的值见 detail）"
    "/ the parent's repeated column contradicts itself (each row's value in detail)",
}

# Statuses of one source in a run.
LOADED = "loaded"
ALREADY = "already_ingested"
UNRECOGNISED = "unrecognised"
AWAITING = "awaiting_confirmation"
ERROR = "error"
EMPTY = "empty"

STATUS_TEXT = {
    LOADED: "已入库 / loaded",
    ALREADY: "已导入过，未变化 / already ingested, unchanged",
    UNRECOGNISED: "无法识别，已跳过 / unrecognised, skipped",
    AWAITING: "映射待确认 / mapping awaits confirmation",
    ERROR: "错误，已跳过 / error, skipped",
    EMPTY: "无数据行 / no data rows",
}


def describe_rule(rule: str) -> str:
    """'id_no:check_digit' -> 'id_no: 校验位错误 / wrong check digit'."""
    fieldname, _, code = rule.partition(":")
    return f"{fieldname}: {RULE_TEXT.get(code, code)}"


@dataclass
class SourceReport:
    """What happened to one source (a file, a sheet of a workbook, or a database table)."""

    source: str
    path: str
    kind: str | None = None
    status: str = ERROR
    message: str = ""
    dataset: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    mapping_file: str | None = None
    sha256: str | None = None
    batch_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    # Rows sharing the unique key but differing elsewhere: quarantined (counted there too) or,
    # where the catalogue lets the key repeat, landed (counted as loaded).
    rows_key_conflict: int = 0
    key_conflicts: str | None = None  # "quarantined" | "landed" when there were any
    # A file carrying two datasets gives two reports: the child's (every row) and the parent's
    # (the repeated part; its duplicates are the rows merged into the row kept).
    split_role: str | None = None  # "child" | "parent"
    split_with: str | None = None  # the other dataset of the file
    rules: dict[str, int] = field(default_factory=dict)
    unmapped_headers: list[str] = field(default_factory=list)
    dropped_prohibited: list[str] = field(default_factory=list)
    # field -> wording -> rows: wordings kept as written whose code no vocabulary entry gives
    unmatched_values: dict[str, dict[str, int]] = field(default_factory=dict)
    # field -> wording -> "value (rule)": enum wordings settled by the column's evidence
    inferred_values: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_duplicate


@dataclass
class IngestReport:
    started_at: str
    finished_at: str = ""
    sources: list[SourceReport] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
        return {k: sum(getattr(s, k) for s in self.sources) for k in keys}

    @property
    def reconciled(self) -> bool:
        return all(s.reconciled for s in self.sources)

    @property
    def ok(self) -> bool:
        return all(s.status in (LOADED, ALREADY, EMPTY) for s in self.sources)

    def by_status(self, status: str) -> list[SourceReport]:
        return [s for s in self.sources if s.status == status]

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "reconciled": self.reconciled,
            "totals": self.totals,
            "sources": [asdict(s) | {"reconciled": s.reconciled} for s in self.sources],
        }

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"ingest-{stamp}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        self.report_path = path
        return path
