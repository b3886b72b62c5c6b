"""The line a person sees in a CSV file for every row DuckDB's reader returns.

DuckDB's CSV reader numbers nothing: the n-th row it returns is the n-th record after the header,
and a record is one line only when no quoted field holds a line break and no blank line sits
between records (the reader skips blank lines). When the file's line count shows one of those,
the physical line where each record starts is computed from the lines themselves: a line starts
a record when it is not blank and the quotes before it are balanced (a doubled quote inside a
quoted field counts twice, so the parity holds). Rows the reader rejected are records too and are
matched by their text, so the rows after them keep their own lines.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from qingfeng.ingest.readers import SourceTable, sql_str

_CHUNK = 1 << 22


def physical_lines(path: Path) -> int:
    """Lines in the file (a last line without a line break counts)."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def needs_line_scan(source: SourceTable, records: int) -> bool:
    """True when the records do not sit one per line right below the header."""
    if source.kind != "csv" or source.text_path is None:
        return False
    return physical_lines(source.text_path) != source.header_row + records


def number_by_lines(
    con: duckdb.DuckDBPyConnection, source: SourceTable, rows: int, rejects: int
) -> bool:
    """Set `qf_raw.__row` to the line where each record starts (see `record_lines`)."""
    if not record_lines(con, source, rows, rejects):
        return False
    con.execute(
        "UPDATE qf_raw SET __row = qf_rowline.line FROM qf_rowline "
        "WHERE qf_rowline.k = qf_raw.rowid"
    )
    con.execute("DROP TABLE qf_rowline")
    return True


def record_lines(
    con: duckdb.DuckDBPyConnection, source: SourceTable, rows: int, rejects: int
) -> bool:
    """Create `qf_rowline(k, line)`, in order of k: the line where the k-th row the reader
    returned starts; with rejected rows, `qf_rej(line, csv_line, error_type)` too.

    False (nothing changed) when the lines do not account for exactly the rows and rejected
    rows the reader saw: a stray quote inside an unquoted field can make the quote parity lie,
    and a wrong line must never be reported as exact.
    """
    assert source.text_path is not None
    # One VARCHAR column per line, in file order; a blank line is a NULL row. NUL never occurs
    # in a file the encoding check accepted, so no line is ever split.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_lines AS SELECT l FROM "
        f"read_csv({sql_str(str(source.text_path))}, columns = {{'l': 'VARCHAR'}}, "
        "header = false, delim = chr(0), quote = '', escape = '', auto_detect = false, "
        "strict_mode = false)"
    )
    quotes = "(strlen(l) - strlen(replace(l, '\"', ''))) % 2"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_starts AS SELECT rowid + 1 AS line, l FROM ("
        f"SELECT rowid, l, coalesce(sum({quotes}) OVER (ORDER BY rowid ROWS BETWEEN "
        "UNBOUNDED PRECEDING AND 1 PRECEDING), 0) % 2 AS open FROM qf_lines) "
        f"WHERE rowid >= {int(source.header_row)} AND open = 0 AND l IS NOT NULL"
    )
    con.execute("DROP TABLE qf_lines")
    kept = "qf_starts"
    if rejects:
        # A rejected record's text (its first line) names its start line; the rows the reader
        # returned are the other starts, in order.
        first = "split_part(ltrim(csv_line, chr(10) || chr(13)), chr(10), 1)"
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qf_rej AS SELECT s.line, r.csv_line, r.error_type "
            f"FROM qf_starts s JOIN (SELECT {first} AS t, any_value(csv_line) AS csv_line, "
            "any_value(error_type) AS error_type FROM qf_rejects GROUP BY t) r "
            "ON rtrim(s.l, chr(13)) = rtrim(r.t, chr(13))"
        )
        kept = "(SELECT * FROM qf_starts WHERE line NOT IN (SELECT line FROM qf_rej))"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_rowline AS SELECT row_number() OVER (ORDER BY line) - 1 "
        f"AS k, line FROM {kept} ORDER BY line"
    )
    found = con.execute(
        "SELECT (SELECT count(*) FROM qf_rowline), (SELECT count(*) FROM qf_rej)"
        if rejects
        else "SELECT (SELECT count(*) FROM qf_rowline), 0"
    ).fetchone()
    if found != (rows, rejects):
        for t in ("qf_starts", "qf_rowline", "qf_rej"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        return False
    con.execute("DROP TABLE qf_starts")
    return True
