"""Readers: turn a department file (or database table) into raw text columns DuckDB can scan.

Every reader yields `SourceTable`s whose `relation` is a SQL FROM-item with VARCHAR columns
`c0..cN` in header order and a BIGINT `__row` (the row number a person sees in the original, or
NULL when DuckDB numbers CSV rows itself). Nothing here parses values: that is normalisation.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.excel_guard import ExcelLimits, check_workbook

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
KNOWN_SUFFIXES = CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSONL_SUFFIXES
_HEADER_SCAN_ROWS = 10
_CHUNK = 1 << 20
_SNIFF_BYTES = 64 * 1024


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class SourceTable:
    """One table of raw text read from a source."""

    path: Path
    name: str  # what a person calls it: "file.csv", "file.xlsx#Sheet1", "url#table"
    kind: str  # csv | excel | parquet | jsonl | sql
    headers: list[str]
    relation: str
    row_offset: int = 1  # __row = rowid + row_offset when the reader gives no row numbers
    encoding: str | None = None
    header_row: int = 1
    csv_rejects: bool = False
    sample: list[list[str]] = field(default_factory=list)  # a few data rows, for the proposal
    # The decoding of the whole file, still running when the encoding was settled by its start.
    encoding_check: Future[tuple[int, int] | None] | None = None
    # The UTF-8 text DuckDB reads (CSV only): its lines give each row's line in the file.
    text_path: Path | None = None

    def confirm_encoding(self) -> None:
        """Wait for the background decoding; an undecodable byte is an error naming its line."""
        if self.encoding_check is not None:
            failure = self.encoding_check.result()
            if failure is not None:
                raise _undecodable(self.path, failure)

    def samples(self) -> dict[str, list[str]]:
        """header -> sampled non-empty values."""
        out: dict[str, list[str]] = {}
        for i, h in enumerate(self.headers):
            out.setdefault(h, [r[i] for r in self.sample if i < len(r) and str(r[i]).strip()])
        return out

    @property
    def part(self) -> str:
        return self.name.split("#", 1)[1] if "#" in self.name else ""


def file_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return None


# --------------------------------------------------------------------------- CSV
def detect_encoding(path: Path) -> str:
    """'utf-8', 'utf-8-sig', 'utf-16' or 'gb18030' (a superset of GBK and GB2312).

    The whole file is checked with an incremental strict decoder, so a GBK byte in row 90,000 is
    found; the message names the line of the first byte no encoding accepts.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    failure: tuple[int, int] | None = None
    for enc in candidates:
        where = _first_undecodable(path, enc)
        if where is None:
            return enc
        failure = where if failure is None or where[0] > failure[0] else failure
    assert failure is not None
    raise _undecodable(path, failure)


def _undecodable(path: Path, failure: tuple[int, int]) -> IngestError:
    offset, line = failure
    return IngestError(
        path.name,
        f"无法识别的文字编码：第{line}行（字节 {offset}）既不是 UTF-8 也不是 GB18030/GBK，"
        f"可能不是文本文件 / cannot decode line {line} (byte {offset}) as UTF-8 or GB18030/GBK; "
        "is it a text file?",
        row=line,
    )


def sniff_utf8(path: Path) -> str | None:
    """'utf-8' or 'utf-8-sig' when the start of the file already proves it, else None.

    Chinese text in another encoding is never valid UTF-8, so a first block holding Chinese (or
    a BOM) that decodes as UTF-8 settles the choice; the rest of the file is then checked in the
    background (`check_in_background`) while DuckDB reads it. A first block of plain ASCII
    proves nothing: such files get the full check first.
    """
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        # final=False: a character cut at the end of the block is not an error.
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError:
        return None
    if encoding == "utf-8" and (head.isascii() or b"\x00" in head):
        return None
    return encoding


_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qf-encoding")


def check_in_background(path: Path, encoding: str) -> Future[tuple[int, int] | None]:
    """Decode the whole file in a thread (Python's decoder runs while DuckDB holds no lock)."""
    return _CHECKS.submit(_first_undecodable, path, encoding)


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 1
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                bad = offset + max(exc.start, 0)
                return bad, lines + chunk[: max(exc.start, 0)].count(b"\n")
            if final:
                return None
            offset += len(chunk)
            lines += chunk.count(b"\n")
            if b"\x00" in chunk and encoding in ("utf-8", "gb18030"):
                return offset - len(chunk) + chunk.index(b"\x00"), lines


def _transcode(path: Path, encoding: str, dest: Path, *, unify_newlines: bool = False) -> Path:
    """A UTF-8 copy (streamed); optionally with every line ending made '\n'."""
    with (
        open(path, encoding=encoding, newline=None if unify_newlines else "") as src,
        open(dest, "w", encoding="utf-8", newline="") as out,
    ):
        while True:
            block = src.read(_CHUNK)
            if not block:
                break
            out.write(block)
    return dest


def _header_index(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first row nearly as wide as the widest (skips title rows)."""
    widths = [sum(1 for c in r if str(c).strip()) for r in rows]
    if not widths or max(widths) == 0:
        return None
    need = max(1, int(max(widths) * 0.6 + 0.999)) if max(widths) > 1 else 1
    for i, w in enumerate(widths):
        if w >= need:
            return i
    return None


def _sniff_delimiter(sample: str) -> str:
    """The delimiter used most on some early line (title lines above the header have none)."""
    lines = sample.splitlines()[:_HEADER_SCAN_ROWS]
    counts = {d: max((ln.count(d) for ln in lines), default=0) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_source(path: Path, staging: Path) -> SourceTable:
    if path.stat().st_size == 0:
        raise IngestError(path.name, "文件为空 / the file is empty")
    check: Future[tuple[int, int] | None] | None = None
    sniffed = sniff_utf8(path)
    encoding = sniffed or detect_encoding(path)
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        sample = fh.read(64 * 1024)
    # DuckDB's reader needs one line-ending style; a title line typed by hand above an export
    # can differ, so such files are rewritten with '\n' throughout.
    mixed = "\r\n" in sample and re.search(r"(?<!\r)\n", sample) is not None
    if sniffed and mixed:
        encoding = detect_encoding(path)  # the rewrite decodes every byte: check them first
    elif sniffed:
        check = check_in_background(path, encoding)
    readable = path
    if encoding in ("gb18030", "utf-16") or mixed:
        readable = _transcode(
            path, encoding, staging / (path.stem + ".utf8.csv"), unify_newlines=mixed
        )
    with open(readable, encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(64 * 1024)
    delim = _sniff_delimiter(sample.lstrip("\ufeff"))
    all_rows = list(csv.reader(io.StringIO(sample), delimiter=delim))
    rows = all_rows[:_HEADER_SCAN_ROWS]
    idx = _header_index(rows)
    if idx is None:
        raise IngestError(path.name, "文件没有表头或内容为空 / no header row found (empty file?)")
    headers = _clean_headers(rows[idx], path.name)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    relation = (
        f"(SELECT *, CAST(NULL AS BIGINT) AS __row FROM read_csv({sql_str(str(readable))}, "
        f"header = true, skip = {idx}, auto_detect = false, columns = {columns}, "
        f"delim = {sql_str(delim)}, quote = '\"', escape = '\"', "
        "ignore_errors = true, store_rejects = true, rejects_table = 'qf_rejects', "
        "rejects_scan = 'qf_reject_scans'))"
    )
    return SourceTable(
        path=path,
        name=path.name,
        kind="csv",
        headers=headers,
        relation=relation,
        row_offset=idx + 2,
        encoding=encoding,
        header_row=idx + 1,
        csv_rejects=True,
        sample=all_rows[idx + 1 : idx + 1 + 100][:-1] or all_rows[idx + 1 :],
        encoding_check=check,
        text_path=readable,
    )


def _clean_headers(raw: Sequence[object], source: str) -> list[str]:
    headers = [str(h).replace("\ufeff", "").strip() if h is not None else "" for h in raw]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise IngestError(source, "表头为空 / the header row is empty")
    return [h or f"(第{i + 1}列)" for i, h in enumerate(headers)]


# --------------------------------------------------------------------------- Excel
def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Excel stores every number as a float; whole numbers lose their ".0" here.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sheet_rows(start: int, rows: Iterable[Sequence[object]], width: int) -> Iterator[list[str]]:
    """Sheet rows as text with their row number first; empty rows are not records."""
    for n, row in enumerate(rows, start=start):
        cells = [_cell_text(c) for c in row[:width]]
        if any(cells):
            yield [str(n), *cells, *([""] * (width - len(cells)))]


def _fill_merged_down(sheet: Any, rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """Rows with each vertically merged cell's value repeated on every row it spans.

    A roster written by hand merges a household's cells over its members' rows; Excel keeps the
    value in the top cell only, and a reader would see the other rows blank.
    """
    try:
        merged = [
            m for m in (getattr(sheet, "merged_cell_ranges", None) or []) if m[1][0] > m[0][0]
        ]
        top, left = sheet.start or (0, 0)
    except Exception:  # a format without merge information (.xls, .ods): nothing to fill
        merged = []
    if not merged:
        yield from rows
        return
    starts: dict[int, list[tuple[int, int]]] = {}
    for (r0, c0), (r1, _) in merged:
        starts.setdefault(r0 - top, []).append((c0 - left, r1 - top))
    active: list[tuple[int, int, Any]] = []  # (column, last row, value)
    for i, row in enumerate(rows):
        row = list(row)
        active = [a for a in active if a[1] >= i]
        for c, _last, value in active:
            if c < len(row) and row[c] in ("", None):
                row[c] = value
        for c, last in starts.get(i, []):
            if c < len(row):
                active.append((c, last, row[c]))
        yield row


def read_excel_sources(
    path: Path, staging: Path, limits: ExcelLimits | None = None
) -> Iterator[SourceTable]:
    from python_calamine import CalamineWorkbook

    if path.stat().st_size == 0:
        raise IngestError(path.name, "文件为空 / the file is empty")
    check_workbook(path, limits or ExcelLimits())
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise IngestError(
            path.name,
            f"不是有效的 Excel 工作簿 / not a readable Excel workbook ({exc.__class__.__name__})",
        ) from None
    found = False
    for sheet_name in wb.sheet_names:
        name = f"{path.name}#{sheet_name}"
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            rows_iter = _fill_merged_down(sheet, iter(sheet.iter_rows()))
            head: list[list[object]] = [
                list(r) for _, r in zip(range(_HEADER_SCAN_ROWS), rows_iter, strict=False)
            ]
        except Exception as exc:
            raise IngestError(
                name, f"无法读取工作表 / unreadable sheet ({exc.__class__.__name__}: {exc})"
            ) from None
        idx = _header_index([[_cell_text(c) for c in r] for r in head])
        if idx is None:
            continue  # an empty sheet is not a table
        found = True
        headers = _clean_headers([_cell_text(c) for c in head[idx]], name)
        width = len(headers)
        out_path = staging / f"{path.stem}.{len(list(staging.iterdir()))}.sheet.csv"
        try:
            with open(out_path, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["__row", *(f"c{i}" for i in range(width))])
                writer.writerows(_sheet_rows(idx + 2, head[idx + 1 :], width))
                writer.writerows(_sheet_rows(len(head) + 1, rows_iter, width))
        except IngestError:
            raise
        except Exception as exc:
            raise IngestError(
                name, f"无法读取工作表 / unreadable sheet ({exc.__class__.__name__}: {exc})"
            ) from None
        columns = (
            "{'__row': 'BIGINT', " + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        )
        relation = (
            f"(SELECT * FROM read_csv({sql_str(str(out_path))}, "
            "header = true, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"'))"
        )
        yield SourceTable(
            path=path,
            name=name,
            kind="excel",
            headers=headers,
            relation=relation,
            header_row=idx + 1,
            sample=[[_cell_text(c) for c in r] for r in head[idx + 1 :]],
        )
    if not found:
        raise IngestError(path.name, "工作簿中没有含表头的工作表 / no sheet with a header row")


# --------------------------------------------------------------------------- Parquet / JSON lines
def _typed_source(path: Path, kind: str, scan: str, con: duckdb.DuckDBPyConnection) -> SourceTable:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise IngestError(
            path.name, f"无法读取 {kind} 文件 / cannot read {kind}: {_first_line(exc)}"
        ) from None
    typed = [(str(r[0]), str(r[1])) for r in described if r[0] != "file_row_number"]
    headers = [h for h, _ in typed]
    if not headers:
        raise IngestError(path.name, "没有任何列 / no columns")
    # A JSON-typed column (mixed numbers and strings) is read as its text, without quotes.
    cols = ", ".join(
        f"json_extract_string({_ident(h)}, '$') AS c{i}"
        if t == "JSON"
        else f"CAST({_ident(h)} AS VARCHAR) AS c{i}"
        for i, (h, t) in enumerate(typed)
    )
    row = "file_row_number + 1" if kind == "parquet" else "NULL"
    relation = f"(SELECT {cols}, CAST({row} AS BIGINT) AS __row FROM {scan})"
    try:
        sample = [
            [("" if v is None else str(v)) for v in r[:-1]]
            for r in con.execute(f"SELECT * FROM {relation} LIMIT 100").fetchall()
        ]
    except duckdb.Error as exc:
        raise IngestError(
            path.name, f"无法读取 {kind} 文件 / cannot read {kind}: {_first_line(exc)}"
        ) from None
    return SourceTable(
        path=path, name=path.name, kind=kind, headers=headers, relation=relation, sample=sample
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def read_parquet_source(path: Path, con: duckdb.DuckDBPyConnection) -> SourceTable:
    scan = f"read_parquet({sql_str(str(path))}, file_row_number = true)"
    return _typed_source(path, "parquet", scan, con)


def read_jsonl_source(path: Path, con: duckdb.DuckDBPyConnection) -> SourceTable:
    if path.stat().st_size == 0:
        raise IngestError(path.name, "文件为空 / the file is empty")
    encoding = detect_encoding(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise IngestError(
            path.name, f"JSON lines 须为 UTF-8 编码 / JSON lines must be UTF-8, found {encoding}"
        )
    scan = f"read_json({sql_str(str(path))}, format = 'newline_delimited', sample_size = -1)"
    return _typed_source(path, "jsonl", scan, con)


# --------------------------------------------------------------------------- databases
def read_sql_source(url: str, table: str | None, query: str | None, staging: Path) -> SourceTable:
    """A table or query from any SQLAlchemy URL, streamed to a staging CSV in chunks."""
    import sqlalchemy as sa

    if bool(table) == bool(query):
        raise IngestError(
            url, "须指定 --table 或 --query 之一 / give exactly one of table or query"
        )
    label = f"{_safe_url(url)}#{table or 'query'}"
    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        raise IngestError(
            label, f"无效的数据库地址 / invalid database URL ({exc.__class__.__name__})"
        ) from None
    out_path = staging / "sql-source.csv"
    try:
        with engine.connect() as conn:
            if table:
                stmt: sa.Executable = sa.select(sa.text("*")).select_from(sa.table(table))
            else:
                stmt = sa.text(query or "")
            result = conn.execution_options(stream_results=True).execute(stmt)
            headers = [str(k) for k in result.keys()]  # noqa: SIM118 (a Result, not a dict)
            with open(out_path, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["__row", *(f"c{i}" for i in range(len(headers)))])
                n = 0
                sample: list[list[str]] = []
                while chunk := result.fetchmany(10_000):
                    if not sample:
                        sample = [[_cell_text(v) for v in row] for row in chunk[:100]]
                    writer.writerows(
                        [str(n + i + 1), *(_cell_text(v) for v in row)]
                        for i, row in enumerate(chunk)
                    )
                    n += len(chunk)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(
            label, f"数据库读取失败 / database read failed: {_first_line(exc)}"
        ) from None
    finally:
        engine.dispose()
    if not headers:
        raise IngestError(label, "没有任何列 / no columns")
    columns = (
        "{'__row': 'BIGINT', " + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    )
    relation = (
        f"(SELECT * FROM read_csv({sql_str(str(out_path))}, header = true, auto_detect = false, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"'))"
    )
    return SourceTable(
        path=Path(label), name=label, kind="sql", headers=headers, relation=relation, sample=sample
    )


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "database"
