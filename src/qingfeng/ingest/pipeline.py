"""`ingest_path`: files or folders → recognised, mapped, normalised batches + a report."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import duckdb

from qingfeng.dataspec import DatasetSpec, get_dataset, normalise_header
from qingfeng.ingest import readers
from qingfeng.ingest.errors import DiskFull, IngestError, is_disk_full
from qingfeng.ingest.excel_guard import ExcelLimits
from qingfeng.ingest.mapping import (
    Mapping,
    Proposal,
    find_mapping,
    missing_required,
    propose,
    save_mapping,
)
from qingfeng.ingest.ocds import is_ocds, read_ocds
from qingfeng.ingest.profile import ColumnProfile, profile_samples, read_sample
from qingfeng.ingest.report import (
    ALREADY,
    AWAITING,
    EMPTY,
    ERROR,
    LOADED,
    UNRECOGNISED,
    IngestReport,
    SourceReport,
)
from qingfeng.ingest.split import detect_split
from qingfeng.ingest.stage import StageResult, run_stage
from qingfeng.lake.location import lake_root
from qingfeng.lake.store import Batch, Lake, new_batch_id, now_iso
from qingfeng.normalise import install_macros
from qingfeng.settings import Settings

Progress = Callable[[str, int, int], None]
Confirm = Callable[[readers.SourceTable, Mapping], bool]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def list_files(path: Path, settings: Settings) -> list[Path]:
    """The files to ingest under `path` (itself if a file); hidden files and mappings skipped."""
    if path.is_file():
        return [path]
    if not path.exists():
        raise IngestError(str(path), "文件或目录不存在 / no such file or folder")
    skip = settings.mappings_dir.resolve()
    out = []
    for p in sorted(path.rglob("*")):
        if not p.is_file() or any(
            part.startswith((".", "~$")) for part in p.relative_to(path).parts
        ):
            continue
        if skip == p.resolve().parent or skip in p.resolve().parents:
            continue
        out.append(p)
    return out


def _connection(staging: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    tmp = staging / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = {readers.sql_str(str(tmp))}")
    # Bounded memory: beyond this DuckDB spills the staging tables to the temp folder.
    limit = os.environ.get("QINGFENG_INGEST_MEMORY_LIMIT", "2GB")
    con.execute(f"SET memory_limit = {readers.sql_str(limit)}")
    # Threads set explicitly (QINGFENG_INGEST_THREADS, default: every core).
    threads = int(os.environ.get("QINGFENG_INGEST_THREADS", "0") or 0) or (os.cpu_count() or 1)
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    install_macros(con)
    return con


def _sources(
    path: Path,
    kind: str,
    staging: Path,
    con: duckdb.DuckDBPyConnection,
    limits: ExcelLimits | None = None,
) -> Iterator[readers.SourceTable]:
    if kind == "csv":
        yield readers.read_csv_source(path, staging)
    elif kind == "excel":
        yield from readers.read_excel_sources(path, staging, limits)
    elif kind == "parquet":
        yield readers.read_parquet_source(path, con)
    elif kind == "jsonl":
        yield readers.read_jsonl_source(path, con)


def ingest_path(
    settings: Settings,
    path: Path,
    *,
    assume_yes: bool,
    progress: Progress | None = None,
    dataset: str | None = None,
    confirm: Confirm | None = None,
) -> IngestReport:
    """Ingest a file or every file under a folder; write and return the report.

    assume_yes accepts proposed mappings; otherwise `confirm(source, mapping)` is asked, and
    without it new mappings are saved unconfirmed for a person to check (status
    awaiting_confirmation). A source's counts always reconcile: read = loaded + quarantined +
    duplicates.
    """
    if dataset is not None:
        get_dataset(dataset)  # unknown ids fail early with the list of known ones
    report = IngestReport(started_at=now_iso())
    lake = Lake(lake_root(settings))
    files = list_files(Path(path), settings)
    with lake.lock():
        lake.collect_garbage()
        try:
            for i, file in enumerate(files):
                if progress:
                    progress(file.name, i, len(files))
                report.sources.extend(
                    _ingest_file(
                        settings,
                        lake,
                        file,
                        assume_yes=assume_yes,
                        dataset=dataset,
                        confirm=confirm,
                    )
                )
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            raise DiskFull(lake_root(settings).url) from None
        finally:
            lake.collect_garbage()  # staging never outlives the ingest, whatever stopped it
        if progress:
            progress("", len(files), len(files))
    report.finished_at = now_iso()
    report.write(settings.reports_dir)
    return report


def ingest_sql(
    settings: Settings,
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    dataset: str | None = None,
    assume_yes: bool,
    confirm: Confirm | None = None,
) -> IngestReport:
    """Ingest one table or query from a database given by a SQLAlchemy URL."""
    report = IngestReport(started_at=now_iso())
    lake = Lake(lake_root(settings))
    with lake.lock():
        lake.collect_garbage()
        staging = lake.staging_dir(f"sql-{time.time_ns()}")
        rep = SourceReport(source=readers._safe_url(url), path=readers._safe_url(url), kind="sql")
        try:
            src = readers.read_sql_source(url, table, query, staging)
            # Identity of a database read is its content: the same rows again change nothing.
            sha = file_sha256(staging / "sql-source.csv")
            con = _connection(staging)
            try:
                reps = _ingest_source(
                    settings, lake, con, src, sha, staging, assume_yes, dataset, confirm
                )
            finally:
                con.close()
        except Exception as exc:
            lake.collect_garbage()
            if is_disk_full(exc):
                raise DiskFull(lake_root(settings).url) from None
            if not isinstance(exc, IngestError):
                raise
            rep.status, rep.message = ERROR, str(exc)
            reps = [rep]
        report.sources.extend(reps)
        lake.collect_garbage()
    report.finished_at = now_iso()
    report.write(settings.reports_dir)
    return report


def _ingest_file(
    settings: Settings,
    lake: Lake,
    file: Path,
    *,
    assume_yes: bool,
    dataset: str | None,
    confirm: Confirm | None,
) -> list[SourceReport]:
    if is_ocds(file):
        return _ingest_ocds(settings, lake, file, assume_yes=assume_yes, confirm=confirm)
    kind = readers.file_kind(file)
    base = SourceReport(source=file.name, path=str(file), kind=kind)
    if kind is None:
        base.status = UNRECOGNISED
        base.message = (
            f"不支持的文件类型「{file.suffix or '无扩展名'}」，已跳过 / unsupported kind of file "
            f"({file.suffix or 'no extension'}), "
            "skipped; supported: CSV, Excel, Parquet, JSON lines, OCDS (.json, .jsonl)"
        )
        return [base]
    started = time.perf_counter()
    sha = file_sha256(file)
    staging = lake.staging_dir(f"file-{sha[:12]}-{time.time_ns()}")
    con = _connection(staging)
    out: list[SourceReport] = []
    try:
        for src in _sources(file, kind, staging, con, ExcelLimits.from_settings(settings)):
            t0 = time.perf_counter()
            try:
                reps = _ingest_source(
                    settings, lake, con, src, sha, staging, assume_yes, dataset, confirm
                )
            except IngestError as exc:
                if is_disk_full(exc):
                    raise  # no later source can be written either
                reps = [
                    SourceReport(
                        source=src.name, path=str(file), kind=kind, status=ERROR, message=str(exc)
                    )
                ]
            for rep in reps:
                rep.seconds = round(time.perf_counter() - t0, 3)
            out.extend(reps)
    except IngestError as exc:
        if is_disk_full(exc):
            raise
        base.status, base.message, base.sha256 = ERROR, str(exc), sha
        base.seconds = round(time.perf_counter() - started, 3)
        out.append(base)
    finally:
        con.close()
    return out


def _ingest_ocds(
    settings: Settings,
    lake: Lake,
    file: Path,
    *,
    assume_yes: bool,
    confirm: Confirm | None,
) -> list[SourceReport]:
    """An OCDS file: checked and compiled as a whole, then each procurement dataset landed
    like any other source, with the mapping the standard itself fixes."""
    started = time.perf_counter()
    sha = file_sha256(file)
    staging = lake.staging_dir(f"ocds-{sha[:12]}-{time.time_ns()}")
    con = _connection(staging)
    try:
        try:
            read = read_ocds(file, con, staging)
        except IngestError as exc:
            if is_disk_full(exc):
                raise
            rep = SourceReport(source=file.name, path=str(file), kind="ocds", sha256=sha)
            rep.status, rep.message = ERROR, str(exc)
            rep.seconds = round(time.perf_counter() - started, 3)
            return [rep]
        out: list[SourceReport] = []
        for dataset, src in read.sources:
            mapping = Mapping(
                dataset=dataset,
                headers=list(src.headers),
                columns={h: h for h in src.headers},
                confirmed=True,
            )
            t0 = time.perf_counter()
            try:
                reps = _ingest_source(
                    settings,
                    lake,
                    con,
                    src,
                    sha,
                    staging,
                    assume_yes,
                    dataset,
                    confirm,
                    given=mapping,
                )
            except IngestError as exc:
                if is_disk_full(exc):
                    raise
                reps = [
                    SourceReport(
                        source=src.name,
                        path=str(file),
                        kind="ocds",
                        dataset=dataset,
                        status=ERROR,
                        message=str(exc),
                    )
                ]
            for r in reps:
                r.seconds = round(time.perf_counter() - t0, 3)
                r.message = f"{r.message}; {read.summary()}" if r.message else read.summary()
            out.extend(reps)
        return out
    finally:
        con.close()


def _ingest_source(
    settings: Settings,
    lake: Lake,
    con: duckdb.DuckDBPyConnection,
    src: readers.SourceTable,
    sha: str,
    staging: Path,
    assume_yes: bool,
    dataset: str | None,
    confirm: Confirm | None,
    given: Mapping | None = None,
) -> list[SourceReport]:
    """One source → its report; two reports when the source carried two datasets."""
    rep = SourceReport(
        source=src.name,
        path=str(src.path),
        kind=src.kind,
        encoding=src.encoding,
        header_row=src.header_row,
        sha256=sha,
    )
    done = lake.find_sources(sha, src.name)
    if done:
        return [
            replace(
                rep,
                status=ALREADY,
                dataset=b.dataset,
                batch_id=b.batch_id,
                message=f"与批次 {b.batch_id} 相同，未重复导入 / identical to batch {b.batch_id}",
            )
            for b in done
        ]
    # A standard's own layout (OCDS) comes with its mapping; department files are recognised.
    mapping = given or find_mapping(settings.mappings_dir, src.headers, dataset)
    proposal = Proposal(None, "")
    if mapping is None or not mapping.confirmed:
        # Recognition reads a bounded sample of the rows, whatever the size of the source.
        profiles = profile_samples(read_sample(con, src), con=con)
        proposal = propose(src.headers, src.name, dataset, profiles=profiles)
    if mapping is None:
        mapping = _split_or(con, src, proposal, profiles)
        if mapping is None:
            rep.status, rep.message = UNRECOGNISED, proposal.reason
            rep.unmapped_headers = list(src.headers)
            if proposal.draft is not None and proposal.recognised:
                # The best the evidence allows, for a person to finish: never ingested as is.
                path = save_mapping(
                    settings.mappings_dir, proposal.draft, comments=proposal.comments()
                )
                rep.mapping_file = str(path)
                rep.message += f"；映射草稿 / draft mapping: {path}"
            return [rep]
    rep.dataset = mapping.dataset
    if not mapping.confirmed:
        spec = get_dataset(mapping.dataset)
        # --yes accepts a confident proposal only; a saved draft is accepted when the evidence
        # is confident about its dataset and it lacks nothing (a person may have edited it).
        if mapping.split is not None and mapping.path is None:
            confident = _split_confident(src, mapping, profiles)
        else:
            confident = (
                proposal.confident
                and proposal.mapping is not None
                and proposal.mapping.dataset == mapping.dataset
                and not missing_required(spec, mapping)
            )
        if (assume_yes and confident) or (confirm is not None and confirm(src, mapping)):
            mapping.confirmed = True
            save_mapping(settings.mappings_dir, mapping)
        else:
            path = save_mapping(settings.mappings_dir, mapping, comments=proposal.comments())
            rep.status, rep.mapping_file = AWAITING, str(path)
            if assume_yes:
                doubts = "; ".join(proposal.doubts) or proposal.reason
                rep.message = (
                    f"识别不确定，映射草稿待确认：{path}（{doubts}）/ not confident, "
                    "the draft mapping awaits a person: check it and set confirmed: true"
                )
            else:
                rep.message = (
                    f"映射已保存待确认：{path}（核对后把 confirmed "
                    "改为 true，或加 --yes）/ mapping saved "
                    "for review; set confirmed: true or re-run with --yes"
                )
            return [rep]
    rep.mapping_file = str(mapping.path) if mapping.path else None
    spec = get_dataset(mapping.dataset)
    parts = [(spec, mapping)]
    if mapping.split is not None:
        parts.append((get_dataset(mapping.split.dataset), mapping.split))
    problems = []
    for part_spec, part in parts:
        missing = missing_required(part_spec, part)
        unknown = [h for h in part.columns if h not in src.headers]
        where = f"{part_spec.id}: " if len(parts) > 1 else ""
        if missing:
            problems.append(
                f"{where}缺少必填字段 / required fields not mapped: {', '.join(missing)}"
            )
        if unknown:
            problems.append(
                f"{where}映射中的表头不在文件中 / mapped headers not in the file: "
                f"{', '.join(unknown)}"
            )
    if problems:
        raise IngestError(src.name, "; ".join(problems))
    batch_id = new_batch_id(sha)
    split_id = None
    if mapping.split is not None:
        split_id = new_batch_id(sha)
        while split_id == batch_id:
            split_id = new_batch_id(sha)
    try:
        result = run_stage(
            con,
            spec,
            mapping,
            src,
            batch_id=batch_id,
            staging=staging / batch_id,
            split_batch_id=split_id,
        )
    except duckdb.Error as exc:
        src.confirm_encoding()  # an undecodable byte explains a failure best
        raise IngestError(
            src.name,
            f"读取或清洗失败 / could not read or clean the data: {readers._first_line(exc)}",
        ) from None
    src.confirm_encoding()  # nothing is published from a file with an undecodable byte
    staged = [(spec, mapping, batch_id, result)]
    if result.split is not None and mapping.split is not None and split_id is not None:
        staged.append((get_dataset(mapping.split.dataset), mapping.split, split_id, result.split))
    reps: list[SourceReport] = []
    for part_spec, part, bid, res in staged:
        r = replace(rep, dataset=part_spec.id, batch_id=bid)
        _fill_report(r, part_spec, part, res)
        if len(staged) > 1:
            other = staged[1][0] if part is mapping else staged[0][0]
            r.split_role = "child" if part is mapping else "parent"
            r.split_with = other.id
        if not r.reconciled:  # a bug, never bad input: refuse to publish
            raise IngestError(src.name, f"行数核对失败，未入库 / counts do not reconcile: {r}")
        reps.append(r)
    if reps[0].rows_read == 0:
        for r in reps:
            r.status, r.batch_id = EMPTY, None
            r.message = "没有数据行，未入库 / no data rows; nothing published"
        return reps
    ids = [bid for _, _, bid, _ in staged]
    batches = []
    files: dict[str, Path] = {}
    for (part_spec, _, bid, res), r in zip(staged, reps, strict=True):
        batches.append(_batch(part_spec, bid, src, sha, r, res, [i for i in ids if i != bid]))
        files.update(res.files)
    lake.publish_all(batches, files)
    for r in reps:
        r.status, r.message = LOADED, _loaded_message(r)
    return reps


def _split_or(
    con: duckdb.DuckDBPyConnection,
    src: readers.SourceTable,
    proposal: Proposal,
    profiles: dict[str, ColumnProfile],
) -> Mapping | None:
    """The proposal, or the mapping of both datasets when the file carries a parent/child
    pair. Headers that fit both datasets of a pair equally (a member roster: households or
    members?), or a table whose left-over columns make another dataset, are settled by the
    same test; so is a draft that lacks fields the other side of a pair holds."""
    tried: list[Mapping | None] = [proposal.mapping]
    tried += [
        propose(src.headers, src.name, other, profiles=profiles).mapping
        for other in (*proposal.rivals, *proposal.also)
    ]
    tried.append(proposal.draft)
    for m in tried:
        if m is not None:
            both = detect_split(con, m, src)
            if both is not None:
                return both
    return proposal.mapping


def _split_confident(
    src: readers.SourceTable, mapping: Mapping, profiles: dict[str, ColumnProfile]
) -> bool:
    """A detected pair is accepted without a person when the evidence, asked about each of its
    two datasets in turn on the headers that side takes, is confident of both mappings (the
    other side's columns are not doubts about this one)."""
    for part in (mapping, mapping.split):
        if part is None:
            continue
        if missing_required(get_dataset(part.dataset), part):
            return False
        own = [h for h in src.headers if part.columns.get(h)]
        if not propose(own, src.name, part.dataset, profiles=profiles).confident:
            return False
    return True


def _fill_report(rep: SourceReport, spec: DatasetSpec, mapping: Mapping, res: StageResult) -> None:
    fields_by_name = {f.name: f for f in spec.fields}
    rep.unmapped_headers = [h for h, f in mapping.columns.items() if not f]
    rep.dropped_prohibited = [
        h for h, f in mapping.columns.items() if f and fields_by_name[f].sensitivity == "prohibited"
    ]
    rep.rows_read = res.rows_read
    rep.rows_loaded = res.rows_loaded
    rep.rows_quarantined = res.rows_quarantined
    rep.rows_duplicate = res.rows_duplicate
    rep.rows_key_conflict = res.rows_key_conflict
    if res.rows_key_conflict:
        rep.key_conflicts = "landed" if res.key_conflicts_landed else "quarantined"
    rep.rules = res.rules
    rep.unmatched_values = res.unmatched
    rep.inferred_values = res.inferred


def _batch(
    spec: DatasetSpec,
    batch_id: str,
    src: readers.SourceTable,
    sha: str,
    rep: SourceReport,
    res: StageResult,
    published_with: list[str],
) -> Batch:
    def files(prefix: str) -> list[str]:
        return [
            f"{d}/{p.name}"
            for d, staged in res.files.items()
            if d.startswith(prefix)
            for p in sorted(staged.glob("*.parquet"))
        ]

    meta = {
        "part": src.part,
        "path": str(src.path),
        "kind": src.kind,
        "encoding": src.encoding,
        "mapping": rep.mapping_file,
        "headers": [normalise_header(h) for h in src.headers],
        "rules": rep.rules,
    }
    if published_with:
        meta |= {"published_with": published_with, "split_role": rep.split_role}
    return Batch(
        batch_id=batch_id,
        dataset=spec.id,
        source=src.name,
        sha256=sha,
        created_at=now_iso(),
        files=files(spec.id + "/"),
        quarantine_files=files("_quarantine/"),
        duplicate_files=files("_duplicates/"),
        counts={
            "read": rep.rows_read,
            "loaded": rep.rows_loaded,
            "quarantined": rep.rows_quarantined,
            "duplicate": rep.rows_duplicate,
            "key_conflict": rep.rows_key_conflict,
        },
        meta=meta,
    )


def _loaded_message(rep: SourceReport) -> str:
    parts = [STATUS_OK]
    if rep.split_role == "child":
        parts.append(
            f"同一文件的重复列另入 {rep.split_with}（去重）/ the file's repeated columns also "
            f"landed in {rep.split_with}, de-duplicated"
        )
    elif rep.split_role == "parent":
        parts.append(
            f"取自 {rep.split_with} 文件的重复列，去重合并 {rep.rows_duplicate} 行 / the "
            f"repeated part of a {rep.split_with} file: {rep.rows_duplicate} rows de-duplicated"
        )
    if rep.key_conflicts == "quarantined":
        parts.append(
            f"{rep.rows_key_conflict} 行唯一键相同而内容不同，已隔离 / {rep.rows_key_conflict} "
            "rows share a unique key but differ: quarantined (key_conflict)"
        )
    elif rep.key_conflicts == "landed":
        parts.append(
            f"{rep.rows_key_conflict} 行唯一键相同而内容不同，按规范照常入库 / "
            f"{rep.rows_key_conflict} rows share a unique key but differ: landed (the "
            "catalogue lets this key repeat)"
        )
    return "; ".join(parts)


STATUS_OK = "已入库 / loaded"
