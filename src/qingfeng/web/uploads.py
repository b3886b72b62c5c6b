"""Department files uploaded in the browser: kept under sources/uploads/<token>/, read once to
propose a mapping per table, and ingested only after a person has checked — and, if need be,
edited — that mapping.

The proposal is kept beside the file (`.proposal.json`: sources, headers, the proposed
mappings and the evidence behind them — shares of value kinds and header matches, never a data
value). Every table gets the form, recognised or not: when the evidence does not settle the
dataset, the person chooses it among the candidates. The person may change the dataset of each
table and the field of each header; what they confirm is saved with
`qingfeng.ingest.mapping.save_mapping` as the same YAML file `qingfeng ingest` writes
(confirmed, replacing any other saved mapping for the same headers), and the ingest then
proceeds as the CLI's does.

A file that cannot be read is deleted at once: nothing of it stays in the workspace. A confirmed
file stays as the source of record of its batch (the lake identifies a source by content, so
ingesting it again changes nothing).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from qingfeng.dataspec import DatasetSpec, header_unit, load_catalogue
from qingfeng.ingest import readers
from qingfeng.ingest.errors import IngestError, is_disk_full
from qingfeng.ingest.excel_guard import ExcelLimits
from qingfeng.ingest.mapping import (
    Mapping,
    Proposal,
    find_mapping,
    find_mappings,
    map_headers,
    missing_required,
    propose,
    save_mapping,
)
from qingfeng.ingest.pipeline import _connection, _sources, _split_or, ingest_path
from qingfeng.ingest.profile import profile_samples, read_sample
from qingfeng.ingest.report import IngestReport
from qingfeng.settings import Settings

DEFAULT_UPLOAD_LIMIT = 200 * 1024 * 1024  # bytes; larger files go through `qingfeng ingest`
CHUNK = 1024 * 1024
TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")
PROPOSAL_FILE = ".proposal.json"  # beside the upload: what was proposed, for the editor


class UploadError(ValueError):
    """The upload is refused; the message names the file and why (shown to the user)."""


@dataclass
class TablePreview:
    source: str  # "file.csv" or "file.xlsx#Sheet1"
    dataset: str
    mapping: Mapping
    saved: bool  # a mapping for these headers was already saved (and maybe confirmed)
    samples: dict[str, list[str]] = field(default_factory=dict)
    # The headers fit these datasets equally: the person must choose (the first one is shown).
    rivals: list[str] = field(default_factory=list)
    # Why each header was put on its field (for `dataset`), the candidate datasets with their
    # scores, and what keeps the proposal from being certain: shown beside the form.
    evidence: dict[str, str] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    # Why the person must choose among `rivals`: "tie" (equal evidence), "unrecognised" (no
    # dataset has a required field in the table) or "also" (the table may carry two datasets).
    choice: str = "tie"


@dataclass
class UploadPreview:
    token: str
    filename: str
    size: int
    tables: list[TablePreview]


def uploads_dir(settings: Settings) -> Path:
    return settings.sources_dir / "uploads"


def safe_filename(name: str) -> str:
    """The last path component, without control or path characters (a name, never a path)."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]", "_", base)
    return base[:150] or "upload"


def save_upload(
    settings: Settings, filename: str, stream: BinaryIO, limit: int
) -> tuple[str, Path]:
    """Copy the stream to a fresh folder, stopping at `limit` bytes (the folder is then removed)."""
    name = safe_filename(filename)
    if readers.file_kind(Path(name)) is None:
        raise UploadError(
            f"「{name}」不是支持的文件类型（CSV、Excel、Parquet、JSON lines）"
            f" / {name}: unsupported kind of file"
        )
    token = secrets.token_hex(8)
    folder = uploads_dir(settings) / token
    folder.mkdir(parents=True)
    target = folder / name
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise UploadError(
                        f"「{name}」超过大小上限 {limit // (1024 * 1024)} MB，请用命令行导入"
                        f" / {name} is larger than {limit} bytes; use `qingfeng ingest`"
                    )
                out.write(chunk)
        if written == 0:
            raise UploadError(f"「{name}」是空文件 / {name} is empty")
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if is_disk_full(exc):
            raise UploadError(
                f"磁盘空间不足，「{name}」未保存 / the disk is full: {name} was not kept"
            ) from None
        raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, target


def upload_path(settings: Settings, token: str) -> Path:
    if not TOKEN_RE.fullmatch(token):
        raise UploadError("上传编号无效 / not an upload id")
    folder = uploads_dir(settings) / token
    files = (
        [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        if folder.is_dir()
        else []
    )
    if len(files) != 1:
        raise UploadError("上传的文件已不存在，请重新上传 / the upload is gone; upload it again")
    return files[0]


def discard(settings: Settings, token: str) -> None:
    if TOKEN_RE.fullmatch(token):
        shutil.rmtree(uploads_dir(settings) / token, ignore_errors=True)


def preview(settings: Settings, token: str) -> UploadPreview:
    """Read each table's headers and a bounded sample of its rows and propose its mapping; an
    unreadable file is deleted and UploadError says why."""
    path = upload_path(settings, token)
    kind = readers.file_kind(path)
    staging = path.parent / ".preview"
    tables: list[TablePreview] = []
    try:
        con = _connection(staging)
        try:
            limits = ExcelLimits.from_settings(settings)
            for src in _sources(path, kind or "", staging, con, limits):
                saved = find_mapping(settings.mappings_dir, src.headers)
                if saved is not None:
                    tables.append(TablePreview(src.name, saved.dataset, saved, True))
                    continue
                samples = read_sample(con, src)
                profiles = profile_samples(samples, con=con)
                proposal = propose(src.headers, src.name, profiles=profiles)
                # A file carrying a parent/child pair is shown as the child's mapping with the
                # parent's part beside it, exactly as the CLI would save it.
                both = _split_or(con, src, proposal, profiles)
                split = both if both is not None and both.split is not None else None
                tables.append(_table_preview(src.name, src.headers, proposal, samples, split))
        finally:
            con.close()
        if not tables:
            raise UploadError(f"「{path.name}」中没有数据表 / {path.name} holds no table")
    except IngestError as exc:
        discard(settings, token)
        raise UploadError(str(exc)) from None
    except UploadError:
        discard(settings, token)
        raise
    except Exception as exc:
        discard(settings, token)
        if is_disk_full(exc):
            raise UploadError(
                f"磁盘空间不足，「{path.name}」未保存 / the disk is full: {path.name} was not kept"
            ) from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _write_proposal(path.parent, tables)
    return UploadPreview(token, path.name, path.stat().st_size, tables)


def _table_preview(
    source: str,
    headers: list[str],
    proposal: Proposal,
    samples: dict[str, list[str]],
    split: Mapping | None = None,
) -> TablePreview:
    """The proposal of one table as the form shows it, recognised or not: the mapping (or the
    draft of the closest dataset), the evidence, and the datasets to choose from when the
    evidence does not settle one. `split` is the child's mapping carrying its parent's part,
    when the table holds both: the pair settles the choice between the two."""
    if split is not None:
        own = proposal.mapping is not None and proposal.mapping.dataset == split.dataset
        evidence = {h: e.describe() for h, e in proposal.evidence.items()} if own else {}
        return TablePreview(
            source,
            split.dataset,
            split,
            False,
            samples,
            evidence=evidence,
            candidates=[
                {"dataset": c.dataset, "score": c.score, "complete": c.complete}
                for c in proposal.candidates
            ],
        )
    mapping = proposal.mapping or proposal.draft
    if mapping is None:
        first = next(iter(load_catalogue()))
        mapping = Mapping(first, list(headers), dict.fromkeys(headers))
    rivals: list[str] = []
    choice = "tie"
    if proposal.mapping is None and proposal.rivals:
        rivals = list(proposal.rivals)
    elif proposal.mapping is None and not proposal.recognised:
        rivals = [c.dataset for c in proposal.candidates[:3]] or [mapping.dataset]
        choice = "unrecognised"
    elif proposal.also:
        rivals, choice = [mapping.dataset, *proposal.also], "also"
    note = "" if proposal.confident else "; ".join([proposal.reason, *proposal.doubts])
    return TablePreview(
        source,
        mapping.dataset,
        mapping,
        False,
        samples,
        rivals,
        evidence={h: e.describe() for h, e in proposal.evidence.items()},
        candidates=[
            {"dataset": c.dataset, "score": c.score, "complete": c.complete}
            for c in proposal.candidates
        ],
        note=note,
        choice=choice,
    )


def _write_proposal(folder: Path, tables: list[TablePreview]) -> None:
    body = [
        {
            "source": t.source,
            "dataset": t.dataset,
            "saved": t.saved,
            "headers": t.mapping.headers,
            "columns": t.mapping.columns,
            "constants": t.mapping.constants,
            "units": t.mapping.units,
            "split": _part(t.mapping.split),
            "rivals": t.rivals,
            "evidence": t.evidence,
            "candidates": t.candidates,
            "note": t.note,
            "choice": t.choice,
        }
        for t in tables
    ]
    (folder / PROPOSAL_FILE).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def _part(split: Mapping | None) -> dict[str, Any] | None:
    if split is None:
        return None
    return {
        "dataset": split.dataset,
        "columns": split.columns,
        "constants": split.constants,
        "units": split.units,
    }


def _split_from(part: dict[str, Any] | None, headers: list[str]) -> Mapping | None:
    if not part:
        return None
    return Mapping(
        dataset=str(part["dataset"]),
        headers=list(headers),
        columns=dict(part.get("columns") or {}),
        constants=dict(part.get("constants") or {}),
        units=dict(part.get("units") or {}),
    )


def load_proposal(settings: Settings, token: str) -> list[TablePreview]:
    """The tables and mappings proposed when the file was uploaded."""
    folder = upload_path(settings, token).parent
    try:
        body: list[dict[str, Any]] = json.loads(
            (folder / PROPOSAL_FILE).read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        raise UploadError(
            "上传的文件已不存在，请重新上传 / the upload is gone; upload it again"
        ) from None
    return [
        TablePreview(
            t["source"],
            t["dataset"],
            Mapping(
                dataset=t["dataset"],
                headers=list(t["headers"]),
                columns=dict(t["columns"]),
                constants=dict(t["constants"]),
                units=dict(t["units"]),
                split=_split_from(t.get("split"), list(t["headers"])),
            ),
            bool(t["saved"]),
            rivals=list(t.get("rivals") or []),
            evidence=dict(t.get("evidence") or {}),
            candidates=list(t.get("candidates") or []),
            note=str(t.get("note") or ""),
            choice=str(t.get("choice") or "tie"),
        )
        for t in body
    ]


# --------------------------------------------------------------------- editing the mapping
@dataclass(frozen=True)
class EditProblem:
    """Why an edited mapping cannot be confirmed yet; shown as `upload.error.<key>`."""

    # dataset_changed | missing_required | duplicate_field | unknown_field | unknown_dataset |
    # choose_dataset | choose_dataset_unrecognised | choose_dataset_also
    key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class TableEdit:
    """One table of the upload as the person is editing it."""

    index: int
    source: str
    saved: bool
    mapping: Mapping
    problems: list[EditProblem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields (or groups) unmapped
    undecided: bool = False  # the headers fit several datasets and none was chosen yet
    proposed: str = ""  # the dataset proposed at upload (its evidence is `evidence`)
    evidence: dict[str, str] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @property
    def dataset(self) -> str:
        return self.mapping.dataset


FormValues = Callable[[str], Any]  # a form's .get


def edit_tables(settings: Settings, token: str, form: FormValues) -> list[TableEdit]:
    """The upload's tables with the person's edits applied and checked.

    Per table `i` the form carries `t{i}-dataset` (the dataset chosen), `t{i}-shown` (the dataset
    whose fields the header selects offered) and `t{i}-c{j}` (the field of header `j`, empty for
    "not used"). When the dataset has just changed, the new dataset's own proposal is shown for
    the person to check instead of the old selects; a table the form does not mention keeps the
    mapping proposed at upload.
    """
    specs = load_catalogue()
    edits: list[TableEdit] = []
    for i, table in enumerate(load_proposal(settings, token)):
        prefix = f"t{i}-"
        chosen = form(prefix + "dataset") or None
        if chosen is None:
            mapping = table.mapping
        else:
            mapping = _edited(specs, table, str(chosen), form, prefix)
        edit = TableEdit(
            i,
            table.source,
            table.saved,
            mapping,
            proposed=table.dataset,
            evidence=table.evidence,
            candidates=table.candidates,
            note=table.note,
        )
        if table.rivals and chosen is None:
            # A tie is never settled by the order of the catalogue: the person picks.
            edit.undecided = True
            names = [f"{specs[d].zh}（{d}）" if d in specs else d for d in table.rivals]
            key = "choose_dataset" if table.choice == "tie" else f"choose_dataset_{table.choice}"
            edit.problems.append(EditProblem(key, {"datasets": "、".join(names)}))
        if chosen is not None and chosen in specs and form(prefix + "shown") != chosen:
            # Nothing is confirmed unseen: the new dataset's fields are shown to check first.
            edit.problems.append(EditProblem("dataset_changed", {"dataset": str(chosen)}))
        _check(specs, edit)
        edits.append(edit)
    return edits


def _edited(
    specs: dict[str, DatasetSpec], table: TablePreview, dataset: str, form: FormValues, prefix: str
) -> Mapping:
    headers = table.mapping.headers
    spec = specs.get(dataset)
    if spec is None:
        return Mapping(dataset, list(headers), dict.fromkeys(headers))
    if dataset == table.dataset:
        base = table.mapping
    else:
        base = map_headers(spec, headers, [table.source, " ".join(headers)])
    if form(prefix + "shown") == dataset:
        columns: dict[str, str | None] = {
            h: (str(form(f"{prefix}c{j}") or "").strip() or None) for j, h in enumerate(headers)
        }
    else:
        columns = dict(base.columns)
    mapped = {f for f in columns.values() if f}
    fields = {f.name: f for f in spec.fields}
    units = {
        h: u
        for h, u in base.units.items()
        if columns.get(h) in fields and fields[str(columns[h])].type == "amount"
    }
    for h, f in columns.items():
        if f in fields and fields[f].type == "amount" and h not in units:
            unit = header_unit(h)
            if unit:
                units[h] = unit
    return Mapping(
        dataset=dataset,
        headers=list(headers),
        columns=columns,
        constants={f: v for f, v in base.constants.items() if f not in mapped},
        units=units,
        # The parent's part stays with the dataset it was proposed for; choosing another
        # dataset drops it (that dataset is then the file's only one).
        split=table.mapping.split if dataset == table.dataset else None,
    )


def _check(specs: dict[str, DatasetSpec], edit: TableEdit) -> None:
    spec = specs.get(edit.dataset)
    if spec is None:
        edit.problems.append(EditProblem("unknown_dataset", {"dataset": edit.dataset}))
        return
    known = {f.name for f in spec.fields}
    by_field: dict[str, list[str]] = {}
    for header, f in edit.mapping.columns.items():
        if not f:
            continue
        if f not in known:
            edit.problems.append(EditProblem("unknown_field", {"header": header, "field": f}))
        else:
            by_field.setdefault(f, []).append(header)
    for f, headers in by_field.items():
        if len(headers) > 1:
            edit.problems.append(
                EditProblem("duplicate_field", {"field": f, "headers": "、".join(headers)})
            )
    edit.missing = missing_required(spec, edit.mapping)
    if edit.missing:
        edit.problems.append(EditProblem("missing_required", {"fields": ", ".join(edit.missing)}))
    split = edit.mapping.split
    if split is not None:
        lacking = missing_required(specs[split.dataset], split) if split.dataset in specs else []
        if split.dataset not in specs or lacking:
            edit.problems.append(
                EditProblem(
                    "split_missing", {"dataset": split.dataset, "fields": ", ".join(lacking)}
                )
            )


def ingest_upload(settings: Settings, token: str, edits: list[TableEdit]) -> IngestReport:
    """Save each table's confirmed mapping the way the CLI does, then ingest the upload.

    The saved mapping replaces any other saved mapping for the same headers (a person has just
    said what these headers are); prohibited fields stay in the mapping and are dropped by the
    ingest as ever, never stored.
    """
    path = upload_path(settings, token)
    if any(e.problems for e in edits):
        raise UploadError("映射尚有错误，未导入 / the mapping still has problems; nothing ingested")
    for e in edits:
        mapping = Mapping(
            dataset=e.mapping.dataset,
            headers=list(e.mapping.headers),
            columns=dict(e.mapping.columns),
            constants=dict(e.mapping.constants),
            units=dict(e.mapping.units),
            confirmed=True,
            split=e.mapping.split,
        )
        previous = find_mappings(settings.mappings_dir, mapping.headers)
        same = next((m for m in previous if m.dataset == mapping.dataset), None)
        mapping.path = same.path if same else None
        saved = save_mapping(settings.mappings_dir, mapping)
        for m in previous:
            if m.path is not None and m.path != saved:
                m.path.unlink(missing_ok=True)
    wanted = {e.source: e.dataset for e in edits}

    def confirm(src: readers.SourceTable, mapping: Mapping) -> bool:
        return wanted.get(src.name) == mapping.dataset

    try:
        return ingest_path(settings, path, assume_yes=False, confirm=confirm)
    except IngestError as exc:  # a full disk: said in one sentence, nothing kept
        raise UploadError(str(exc)) from None
