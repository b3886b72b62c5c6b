"""Exporting warnings (CSV, Excel, JSON lines), audited, masked unless asked otherwise."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qingfeng import audit
from qingfeng.cells import neutralise
from qingfeng.localtime import format_time
from qingfeng.loop.errors import InvalidInput, PermissionDenied
from qingfeng.loop.machine import Actor
from qingfeng.loop.query import SORTS, WarningQuery, filtered
from qingfeng.masking import mask_evidence, mask_id, mask_name
from qingfeng.store.models import Organisation

FORMATS = ("csv", "xlsx", "jsonl")
# The back office's permissions `export` and `unmask` (qingfeng.web.roles; a test keeps the
# two equal): the CLI and the API refuse exactly whom the pages refuse.
EXPORT_ROLES = frozenset({"administrator", "supervisor", "leader"})
UNMASK_ROLES = frozenset({"supervisor"})

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "预警编号 / id"),
    ("model_id", "模型编号 / model id"),
    ("model_name", "模型名称 / model name"),
    ("subject_type", "对象类型 / subject type"),
    ("subject_id", "对象标识 / subject id"),
    ("subject_name", "对象名称 / subject name"),
    ("period", "期间 / period"),
    ("severity", "等级 / severity"),
    ("amount", "涉及金额(元) / amount (yuan)"),
    ("division_code", "区划代码 / division code"),
    ("status", "状态 / status"),
    ("org", "承办单位 / unit"),
    ("due_at", "办理期限 / due"),
    ("finding", "核查结论 / finding"),
    ("funds_recovered", "追缴金额(元) / funds recovered"),
    ("explanation", "预警说明 / explanation"),
    ("evidence", "证据 / evidence"),
)


def model_names(models_dir: Path | None) -> dict[str, str]:
    """Model id → Chinese name from the model library, when the engine package is installed."""
    try:
        from qingfeng.engine.loader import load_models  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    try:
        models = load_models(models_dir).models
    except Exception:  # a broken model file must not block an export; ids still identify
        return {}
    return {mid: spec.name.zh for mid, spec in models.items()}


def _records(
    actor: Actor,
    q: WarningQuery,
    masked: bool,
    models_dir: Path | None = None,
) -> Iterator[dict[str, Any]]:
    from qingfeng.loop.third_parties import Layouts, mask_warning

    orgs = dict(actor.session.execute(select(Organisation.id, Organisation.name)).all())
    stmt = filtered(actor, q).order_by(*SORTS[q.sort]).execution_options(yield_per=1000)
    layouts = Layouts(models_dir)
    names: dict[str, str] | None = None  # loading the library is slow: only with a first row
    for w in actor.session.scalars(stmt):
        if names is None:
            names = model_names(models_dir)
        explanation, evidence = w.explanation, w.evidence
        if masked:  # third parties as the model's lineage names them, ID numbers by their shape
            shown = mask_warning(w.explanation, w.evidence or {}, layouts.get(w.model_id))
            explanation, evidence = shown.explanation, mask_evidence(shown.evidence)
        yield {
            "id": w.id,
            "model_id": w.model_id,
            "model_name": names.get(w.model_id, w.model_id),
            "subject_type": w.subject_type,
            "subject_id": mask_id(w.subject_id) if masked else w.subject_id,
            "subject_name": mask_name(w.subject_name) if masked else w.subject_name,
            "period": w.period,
            "severity": w.severity,
            "amount": str(w.amount) if w.amount is not None else None,
            "division_code": w.division_code,
            "status": w.status,
            "org": orgs.get(w.org_id) if w.org_id else None,
            # local time with its offset: readable, and still one instant for programs
            "due_at": format_time(w.due_at, actor.config.zone, "iso") if w.due_at else None,
            "finding": w.finding,
            "funds_recovered": str(w.funds_recovered) if w.funds_recovered is not None else None,
            "explanation": explanation,
            "evidence": evidence,
        }


def _write_csv(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    # utf-8-sig: Excel on Windows opens it with the Chinese headers intact
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([label for _, label in COLUMNS])
        for row in rows:
            out.writerow([_cell(row[key]) for key, _ in COLUMNS])
            n += 1
    return n


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            n += 1
    return n


def _write_xlsx(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    import xlsxwriter

    n = 0
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = book.add_worksheet("预警 warnings")
        bold = book.add_format({"bold": True})
        for col, (_, label) in enumerate(COLUMNS):
            sheet.write_string(0, col, label, bold)
        for n, row in enumerate(rows, start=1):
            for col, (key, _) in enumerate(COLUMNS):
                value = _cell(row[key])
                # everything as text: ID numbers must not turn into floats
                sheet.write_string(n, col, value)
    finally:
        book.close()
    return n


def _cell(value: Any) -> str:
    """A spreadsheet cell (CSV or xlsx): text, never a formula (qingfeng.cells)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return str(neutralise(json.dumps(value, ensure_ascii=False, default=str)))
    return str(neutralise(str(value)))


_WRITERS: dict[str, Callable[[Path, Iterator[dict[str, Any]]], int]] = {
    "csv": _write_csv,
    "jsonl": _write_jsonl,
    "xlsx": _write_xlsx,
}


def _audited_filter(q: WarningQuery) -> dict[str, Any]:
    """The export's filter for the audit log, a person's ID number masked (the log is read by
    auditors, who have no right to see it)."""
    data = q.model_dump(mode="json", exclude={"limit", "offset"}, exclude_defaults=True)
    if data.get("subject_id"):
        data["subject_id"] = mask_id(data["subject_id"])
    return data


def export_warnings(
    actor: Actor,
    q: WarningQuery,
    fmt: str,
    path: Path,
    *,
    masked: bool = True,
    models_dir: Path | None = None,
) -> int:
    """Write every warning matching `q` (its page ignored) to `path`, audited; returns the count."""
    if fmt not in _WRITERS:
        raise InvalidInput(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if actor.user.role not in EXPORT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not export warnings")
    if not masked and actor.user.role not in UNMASK_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not export unmasked personal data")
    q = q.model_copy(update={"limit": 1, "offset": 0})  # the page is irrelevant for an export
    rows = _records(actor, q, masked, models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        count = _WRITERS[fmt](tmp, rows)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        tmp.replace(path)  # a reader never sees half a file
    finally:
        tmp.unlink(missing_ok=True)
    audit.append(
        actor.session,
        actor.user.username,
        "warning.export",
        "export",
        fmt,
        {
            "rows": count,
            "masked": masked,
            "file": path.name,
            "sha256": digest,
            "filter": _audited_filter(q),
        },
    )
    return count
