"""End-to-end ingest: recognition, mapping, normalisation, quarantine, duplicates, the lake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ingest_helpers import A, B, C, registry_rows, write_csv, write_xlsx
from qingfeng.cli import app
from qingfeng.ingest import ingest_path
from qingfeng.lake import Lake, connect
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def _payments(month: str) -> list[list[object]]:
    return [
        ["XX县惠民惠农补贴发放明细表"],  # a title row above the header, as exports have
        [
            "发放流水号",
            "证件号码",
            "领取人",
            "补贴项目",
            "发放年月",
            "发放日期",
            "发放金额（万元）",
            "所属村（社区）",
            "序号",
        ],
        [
            f"P{month}01",
            A.lower(),
            "王小明",
            "高龄补贴",
            month,
            f"{month}-10",
            0.01,
            "522701001001",
            1,
        ],
        [
            f"P{month}02",
            B,
            "李秀英",
            "高龄补贴",
            month.replace("-", "年") + "月",
            f"{month}-10",
            "0.0120",
            "522701001001",
            2,
        ],
        [f"P{month}03", C, "张学友", "高龄补贴", month, "2024-02-30", 0.01, "522701001002", 3],
    ]


def test_folder_ingest_reconciles_every_row(ws: Settings, tmp_path: Path) -> None:
    src = tmp_path / "in"
    write_csv(src / "公安局_户籍人口.csv", registry_rows(), encoding="gb18030")
    write_csv(
        src / "殡仪馆_火化记录.csv",
        [
            ["死者姓名", "身份证号码", "死亡日期", "火化日期"],
            ["張學友", C, "2023年5月1日", "2023-05-03"],
        ],
        encoding="utf-8-sig",
    )
    write_xlsx(src / "民政局_补贴.xlsx", {"5月": _payments("2024-05")})
    (src / "说明.pdf").write_bytes(b"%PDF-1.4")

    report = ingest_path(ws, src, assume_yes=True)

    by = {s.source: s for s in report.sources}
    reg = by["公安局_户籍人口.csv"]
    assert (reg.dataset, reg.encoding, reg.status) == ("household_registry", "gb18030", "loaded")
    assert (reg.rows_read, reg.rows_loaded, reg.rows_quarantined, reg.rows_duplicate) == (
        6,
        3,
        2,
        1,
    )
    assert reg.rules == {"id_no:check_digit": 1, "id_no:required": 1, "birth_date:invalid": 1}
    deaths = by["殡仪馆_火化记录.csv"]
    assert (deaths.dataset, deaths.encoding, deaths.rows_loaded) == ("deaths", "utf-8-sig", 1)
    pay = by["民政局_补贴.xlsx#5月"]
    assert (pay.dataset, pay.header_row, pay.rows_loaded, pay.rows_quarantined) == (
        "subsidy_payments",
        2,
        2,
        1,
    )
    assert by["说明.pdf"].status == "unrecognised"
    assert report.reconciled
    saved = json.loads(report.report_path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    assert saved["totals"] == {
        "rows_read": 10,
        "rows_loaded": 6,
        "rows_quarantined": 3,
        "rows_duplicate": 1,
    }

    con = connect(ws)
    people = con.execute(
        "SELECT id_no, name, gender, birth_date::VARCHAR, status, registry_death_date::VARCHAR, "
        "relation_to_head, _source_row FROM household_registry ORDER BY _source_row"
    ).fetchall()
    assert people == [
        (A, "王小明", "male", "1945-03-12", "active", None, "head", 2),
        (B, "李秀英", "female", "1950-11-05", "active", None, "spouse", 3),
        (C, "张学友", "male", "1938-01-01", "deceased", "2023-05-01", "head", 4),
    ]
    assert con.execute("SELECT source, record_date::VARCHAR FROM deaths").fetchall() == [
        ("cremation", "2023-05-03")
    ]
    pays = con.execute(
        "SELECT id_no, period, amount::VARCHAR, division_code FROM subsidy_payments "
        "ORDER BY _source_row"
    ).fetchall()
    assert pays == [
        (A, "2024-05", "100.00", "522701001001"),
        (B, "2024-05", "120.00", "522701001001"),
    ]
    quarantined = con.execute(
        "SELECT source, source_row, rules, original FROM quarantine ORDER BY source, source_row"
    ).fetchall()
    assert [(q[0], q[1], q[2]) for q in quarantined] == [
        ("公安局_户籍人口.csv", 6, "id_no:check_digit"),
        ("公安局_户籍人口.csv", 7, "id_no:required;birth_date:invalid"),
        ("民政局_补贴.xlsx#5月", 5, "pay_date:invalid"),
    ]
    assert json.loads(quarantined[1][3])["出生日期"] == "1945-02-30"  # original value kept
    assert con.execute("SELECT source_row, kept_row FROM duplicates").fetchall() == [(5, 2)]


def test_same_file_twice_changes_nothing_and_next_month_adds_a_batch(
    ws: Settings, tmp_path: Path
) -> None:
    f = write_xlsx(tmp_path / "补贴_05.xlsx", {"Sheet1": _payments("2024-05")})
    first = ingest_path(ws, f, assume_yes=True)
    catalogue = (ws.lake_dir / "_catalogue.json").read_text(encoding="utf-8")
    again = ingest_path(ws, f, assume_yes=True)
    assert again.sources[0].status == "already_ingested"
    assert again.sources[0].batch_id == first.sources[0].batch_id
    assert (ws.lake_dir / "_catalogue.json").read_text(encoding="utf-8") == catalogue
    # Next month's export has the same headers: the saved mapping is re-used without asking.
    june = write_xlsx(tmp_path / "补贴_06.xlsx", {"Sheet1": _payments("2024-06")})
    nxt = ingest_path(ws, june, assume_yes=False)
    assert nxt.sources[0].status == "loaded"
    assert len(Lake(ws.lake_dir).batches("subsidy_payments")) == 2
    assert connect(ws).execute("SELECT count(*) FROM subsidy_payments").fetchone() == (4,)


def test_without_yes_the_mapping_waits_for_a_person_and_edits_are_honoured(
    ws: Settings, tmp_path: Path
) -> None:
    f = write_csv(tmp_path / "户籍.csv", registry_rows())
    report = ingest_path(ws, f, assume_yes=False)
    src = report.sources[0]
    assert src.status == "awaiting_confirmation"
    assert not (ws.lake_dir / "_catalogue.json").exists()
    mapping_file = Path(src.mapping_file or "")
    data = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))
    assert data["dataset"] == "household_registry" and data["confirmed"] is False
    assert data["columns"]["公民身份号码"] == "id_no"
    # The person ignores the phone column and confirms.
    data["columns"]["联系电话"] = None
    data["confirmed"] = True
    mapping_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    done = ingest_path(ws, f, assume_yes=False)
    assert done.sources[0].status == "loaded"
    assert connect(ws).execute("SELECT count(phone) FROM household_registry").fetchone() == (0,)


def test_confirm_callback_is_asked(ws: Settings, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "户籍.csv", registry_rows())
    asked: list[str] = []

    def confirm(src: object, mapping: object) -> bool:
        asked.append(mapping.dataset)
        return True

    report = ingest_path(ws, f, assume_yes=False, confirm=confirm)
    assert asked == ["household_registry"] and report.sources[0].status == "loaded"


def test_rollback_unpublishes_and_allows_reingest(ws: Settings, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "户籍.csv", registry_rows())
    batch = ingest_path(ws, f, assume_yes=True).sources[0].batch_id
    assert batch
    result = CliRunner().invoke(app, ["rollback", batch, "-w", str(ws.workspace)])
    assert result.exit_code == 0, result.output
    con = connect(ws)
    assert con.execute("SELECT count(*) FROM household_registry").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    assert not list(ws.lake_dir.glob("household_registry/batch=*"))
    assert ingest_path(ws, f, assume_yes=True).sources[0].status == "loaded"
    bad = CliRunner().invoke(app, ["rollback", "nope", "-w", str(ws.workspace)])
    assert bad.exit_code == 1 and "nope" in bad.output


def test_cli_ingest_and_batches(ws: Settings, tmp_path: Path) -> None:
    write_csv(tmp_path / "in" / "户籍.csv", registry_rows(), encoding="gb18030")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), "--yes", "-w", str(ws.workspace)])
    assert result.exit_code == 0, result.output
    assert "household_registry" in result.output and "reconciled" in result.output
    listed = runner.invoke(app, ["batches", "-w", str(ws.workspace)])
    assert listed.exit_code == 0 and "household_registry" in listed.output


def test_empty_views_exist_for_every_dataset(ws: Settings) -> None:
    from qingfeng.dataspec import load_catalogue

    con = connect(ws)
    for ds in load_catalogue():
        assert con.execute(f'SELECT count(*) FROM "{ds}"').fetchone() == (0,)


@pytest.mark.parametrize("distinct_names", [2, 200])
def test_traditional_names_simplified_whether_normalised_per_value_or_per_row(
    ws: Settings, tmp_path: Path, distinct_names: int
) -> None:
    # Two names over 200 rows are normalised once per distinct value (a dictionary); 200
    # different names row by row. Both paths turn 張學友 into 张学友, and the quarantine keeps
    # what the file said.
    names = ["張學友", "王小明"] + [f"李{chr(0x4E00 + i)}" for i in range(distinct_names - 2)]
    rows = [["发放流水号", "证件号码", "领取人", "补贴项目", "发放年月", "发放金额"]]
    for i in range(200):
        rows.append([f"P{i:04d}", A, names[i % distinct_names], "高龄补贴", "2024-05", "10"])
    rows.append(["P9999", "not-an-id", "張學友", "高龄补贴", "2024-05", "10"])
    src = ingest_path(ws, write_csv(tmp_path / "补贴.csv", rows), assume_yes=True).sources[0]
    assert src.status == "loaded", src.message
    assert (src.rows_loaded, src.rows_quarantined) == (200, 1)
    con = connect(ws)
    got = dict(con.execute("SELECT name, count(*) FROM subsidy_payments GROUP BY name").fetchall())
    assert got["张学友"] == 200 // distinct_names + (1 if 200 % distinct_names else 0)
    assert "張學友" not in got
    (original,) = con.execute("SELECT original FROM quarantine").fetchone()
    assert json.loads(original)["领取人"] == "張學友"
