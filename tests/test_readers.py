"""Each reader, and each kind of bad input: a clear message naming file, row or column."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ingest_helpers import (
    REGISTRY_HEADERS,
    A,
    B,
    C,
    registry_rows,
    roster_rows,
    write_csv,
    write_xlsx,
)
from qingfeng.cli import app
from qingfeng.ingest import ingest_path, ingest_sql
from qingfeng.lake import connect
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def _one(ws: Settings, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    report = ingest_path(ws, path, assume_yes=True, **kw)  # type: ignore[arg-type]
    assert report.reconciled
    return report.sources


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_encodings(ws: Settings, tmp_path: Path, encoding: str) -> None:
    src = _one(ws, write_csv(tmp_path / f"户籍_{encoding}.csv", registry_rows(), encoding))[0]
    assert src.status == "loaded" and src.rows_loaded == 3
    expected = {"gbk": "gb18030", "utf-8-sig": "utf-8-sig"}.get(encoding, encoding)
    assert src.encoding == expected
    names = connect(ws).execute("SELECT name FROM household_registry ORDER BY _source_row")
    assert [r[0] for r in names.fetchall()] == ["王小明", "李秀英", "张学友"]


def test_csv_with_title_lines_and_tabs(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "户籍.txt"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("XX县户籍人口导出\n\n")
        csv.writer(fh, delimiter="\t").writerows(registry_rows())
    src = _one(ws, path)[0]
    assert (src.header_row, src.rows_loaded) == (3, 3)
    rows = connect(ws).execute("SELECT min(_source_row) FROM household_registry").fetchone()
    assert rows == (4,)


def test_malformed_csv_rows_are_quarantined_with_their_line(ws: Settings, tmp_path: Path) -> None:
    rows = registry_rows()[:4]
    path = tmp_path / "户籍.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:2])
        fh.write("only,three,cells\n")
        csv.writer(fh).writerows(rows[2:])
    src = _one(ws, path)[0]
    assert (src.rows_read, src.rows_loaded, src.rows_quarantined) == (4, 3, 1)
    assert src.rules == {"row:malformed_row": 1}
    con = connect(ws)
    q = con.execute("SELECT source_row, rules, original FROM quarantine").fetchall()
    assert q[0][0] == 3 and q[0][1] == "row:malformed_row"
    assert json.loads(q[0][2])["line"] == "only,three,cells"
    # Rows after the broken line keep their true line numbers.
    got = con.execute("SELECT id_no, _source_row FROM household_registry ORDER BY 2").fetchall()
    assert got == [(A, 2), (B, 4), (C, 5)]


def test_parquet_source(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "火化.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES ('{C}', '张学友', DATE '2023-05-01', '2023-05-03'), "
        f"('{A}', '王小明', NULL, '20230601')) t(身份证号码, 死者姓名, 死亡日期, 火化日期)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    src = _one(ws, path)[0]
    assert (src.kind, src.dataset, src.rows_loaded) == ("parquet", "deaths", 2)
    got = (
        connect(ws)
        .execute(
            "SELECT id_no, death_date::VARCHAR, record_date::VARCHAR, source, _source_row "
            "FROM deaths ORDER BY _source_row"
        )
        .fetchall()
    )
    assert got == [
        (C, "2023-05-01", "2023-05-03", "cremation", 1),
        (A, None, "2023-06-01", "cremation", 2),
    ]


def test_json_lines_source(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "payments.jsonl"
    lines = [
        {
            "证件号码": A,
            "领取人": "王小明",
            "补贴项目": "高龄补贴",
            "发放年月": "2024-05",
            "发放金额": 100,
        },
        {
            "证件号码": B,
            "领取人": "李秀英",
            "补贴项目": "高龄补贴",
            "发放年月": "202405",
            "发放金额": "1,000",
        },
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", "utf-8")
    src = _one(ws, path)[0]
    assert (src.kind, src.dataset, src.rows_loaded) == ("jsonl", "subsidy_payments", 2)
    got = connect(ws).execute("SELECT amount::VARCHAR FROM subsidy_payments ORDER BY 1")
    assert got.fetchall() == [("100.00",), ("1000.00",)]


def test_database_table_and_query(ws: Settings, store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text('CREATE TABLE hr ("公民身份号码" TEXT, "姓名" TEXT, "人员状态" TEXT)'))
        conn.execute(
            text("INSERT INTO hr VALUES (:a, :n, :s)"),
            [{"a": A, "n": "王小明", "s": "正常"}, {"a": B, "n": "李秀英", "s": "迁出"}],
        )
    engine.dispose()
    by_table = ingest_sql(ws, store_url, table="hr", assume_yes=True)
    assert by_table.sources[0].status == "loaded", by_table.sources[0].message
    assert by_table.sources[0].rows_loaded == 2
    assert "password" not in by_table.sources[0].source
    again = ingest_sql(ws, store_url, table="hr", assume_yes=True)
    assert again.sources[0].status == "already_ingested"
    by_query = ingest_sql(
        ws,
        store_url,
        query="SELECT * FROM hr WHERE \"人员状态\" = '正常'",
        assume_yes=True,
        dataset="household_registry",
    )
    assert by_query.sources[0].rows_loaded == 1
    assert connect(ws).execute("SELECT count(*) FROM household_registry").fetchone() == (3,)
    bad = ingest_sql(ws, store_url, table="no_such_table", assume_yes=True)
    assert bad.sources[0].status == "error" and "no_such_table" in bad.sources[0].message


def test_excel_several_sheets_and_empty_rows(ws: Settings, tmp_path: Path) -> None:
    rows = [list(r) for r in registry_rows()[:3]]
    path = write_xlsx(
        tmp_path / "户籍.xlsx",
        {
            "一组": [*rows[:2], [None] * 10, *rows[2:]],
            "空表": [],
            "二组": [REGISTRY_HEADERS, rows[1]],
        },
    )
    sources = _one(ws, path)
    assert [(s.source, s.rows_loaded) for s in sources] == [
        ("户籍.xlsx#一组", 2),
        ("户籍.xlsx#二组", 1),
    ]
    got = connect(ws).execute("SELECT _source_row FROM household_registry ORDER BY 1").fetchall()
    assert got == [(2,), (2,), (4,)]  # the empty row 3 is not a record; row numbers stay true


def test_prohibited_columns_are_never_stored(ws: Settings, tmp_path: Path) -> None:
    rows = [[*r, "宗教信仰" if i == 0 else "某教"] for i, r in enumerate(registry_rows()[:2])]
    src = _one(ws, write_csv(tmp_path / "户籍.csv", rows))[0]
    assert src.dropped_prohibited == ["宗教信仰"]
    cols = [r[0] for r in connect(ws).execute("DESCRIBE household_registry").fetchall()]
    assert "religion" not in cols


# ----------------------------------------------------------------------------- bad input
def test_wrong_encoding_names_file_and_line(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "坏编码.csv"
    path.write_bytes("公民身份号码,姓名\n".encode() + b"1,ok\n2,\xff\xfe\xfa bad\n")
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "error"
    assert "坏编码.csv" in src.message and "第3行" in src.message and "GB18030" in src.message


def test_undecodable_line_far_into_a_utf8_file(ws: Settings, tmp_path: Path) -> None:
    # The start of the file settles the encoding (UTF-8 with Chinese text); the rest is checked
    # while DuckDB reads it, and a GBK row at line 5,002 still stops the file, naming the line.
    path = tmp_path / "混合编码.csv"
    rows = "".join(f"{i},王{i}\n" for i in range(5000))
    path.write_bytes(
        ("公民身份号码,姓名\n" + rows).encode() + "9,张三\n".encode("gbk") + b"10,ok\n"
    )
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "error"
    assert "混合编码.csv" in src.message and "第5002行" in src.message
    assert src.batch_id is None and not list(ws.lake_dir.glob("*/batch=*"))


def test_binary_file_disguised_as_csv(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "error" and "photo.csv" in src.message and "text file" in src.message


def test_text_file_disguised_as_excel(ws: Settings, tmp_path: Path) -> None:
    path = tmp_path / "报表.xlsx"
    path.write_text("公民身份号码,姓名\n", encoding="utf-8")
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "error" and "报表.xlsx" in src.message and "Excel" in src.message


def test_unreadable_sheet(ws: Settings, tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", {"Sheet1": registry_rows()})
    broken = tmp_path / "坏表.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # truncated XML
            zout.writestr(item, data)
    src = ingest_path(ws, broken, assume_yes=True).sources[0]
    assert src.status == "error" and "坏表.xlsx" in src.message
    assert "Sheet1" in src.message or "Excel" in src.message


@pytest.mark.parametrize("name", ["空.csv", "空.xlsx", "空.jsonl"])
def test_empty_files(ws: Settings, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "error" and name in src.message and "empty" in src.message


def test_header_only_file_publishes_nothing(ws: Settings, tmp_path: Path) -> None:
    src = ingest_path(ws, write_csv(tmp_path / "户籍.csv", [REGISTRY_HEADERS]), assume_yes=True)
    assert src.sources[0].status == "empty"
    assert not (ws.lake_dir / "_catalogue.json").exists()


def test_unknown_headers_are_reported_not_guessed(ws: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "杂项.csv", [["编号", "备注"], ["1", "x"]])
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status == "unrecognised" and src.unmapped_headers == ["编号", "备注"]
    assert not list(ws.mappings_dir.glob("*.yaml"))


def test_forced_dataset_without_required_headers(ws: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["姓名", "备注"], ["王", "x"]])
    src = ingest_path(ws, path, assume_yes=True, dataset="deaths").sources[0]
    assert src.status == "unrecognised" and "id_no" in src.message


def test_edited_mapping_with_a_wrong_header_or_field(ws: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "户籍.csv", registry_rows())
    ingest_path(ws, path, assume_yes=False)
    mapping_file = next(ws.mappings_dir.glob("*.yaml"))
    data = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))
    data["confirmed"] = True
    data["columns"]["不存在的列"] = "phone"
    mapping_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    src = ingest_path(ws, path, assume_yes=False).sources[0]
    assert src.status == "error" and "不存在的列" in src.message
    data["columns"]["姓名"] = "nickname"
    mapping_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    src = ingest_path(ws, path, assume_yes=False).sources[0]
    assert src.status == "error" and "nickname" in src.message and mapping_file.name in src.message


def test_cli_bad_input_gives_messages_not_tracebacks(ws: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        app, ["ingest", str(tmp_path / "nope"), "--yes", "-w", str(ws.workspace)]
    )
    assert missing.exit_code == 1 and "nope" in missing.output and "Traceback" not in missing.output
    unknown = runner.invoke(app, ["ingest", str(tmp_path), "-d", "nope", "-w", str(ws.workspace)])
    assert unknown.exit_code == 1 and "unknown dataset" in unknown.output
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.csv").write_bytes(b"")
    bad = runner.invoke(app, ["ingest", str(tmp_path / "in"), "--yes", "-w", str(ws.workspace)])
    assert bad.exit_code == 1 and "bad.csv" in bad.output and "Traceback" not in bad.output


def test_merged_household_cells_of_an_excel_roster_are_read_on_every_row(
    tmp_path: Path,
) -> None:
    """A roster typed by hand merges each household's cells over its members' rows; Excel keeps
    the value in the top cell only. Every member row must still carry its household."""
    import xlsxwriter

    rows = roster_rows(30)
    path = tmp_path / "低保花名册.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    sheet = wb.add_worksheet("花名册")
    sheet.merge_range(0, 0, 0, 9, "某县低保对象花名册")  # a title merged across the columns
    sheet.write_row(1, 0, rows[0])
    r = 2
    for k in range(30):
        members = [row for row in rows[1:] if row[0] == f"DB{k:05d}"]
        for m, row in enumerate(members):
            sheet.write_row(r + m, 7, row[7:])
        for c in range(7):  # the household's columns, one merged cell per household
            if len(members) > 1:
                sheet.merge_range(r, c, r + len(members) - 1, c, members[0][c])
            else:
                sheet.write(r, c, members[0][c])
        r += len(members)
    wb.close()

    ws = init_workspace(tmp_path / "ws")
    report = ingest_path(ws, path, assume_yes=True)
    by = {s.dataset: s for s in report.sources}
    assert by["dibao_members"].source == "低保花名册.xlsx#花名册"
    assert (by["dibao_members"].rows_loaded, by["dibao_members"].rows_quarantined) == (73, 0)
    assert (by["dibao_households"].rows_loaded, by["dibao_households"].rows_duplicate) == (30, 43)
    con = connect(ws)
    assert con.execute(
        "SELECT count(*) FROM dibao_members m JOIN dibao_households h USING (case_no)"
    ).fetchone() == (73,)
    assert con.execute(
        "SELECT min(_source_row), max(_source_row) FROM dibao_members"
    ).fetchone() == (3, 75)
