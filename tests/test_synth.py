"""The synthetic county: valid IDs except where invalid rows were planted, every planted case and
decoy present in the files, byte-identical output for a seed, clear errors on bad arguments."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import ric
from typer.testing import CliRunner

from qingfeng.synth import SynthError, Truth, generate

START, END = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
N = 2000
FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def normalise_id(raw: str) -> str:
    s = raw.strip().translate(FULLWIDTH).upper()
    if len(s) == 15:
        body = s[:6] + "19" + s[6:]
        return body + ric.calc_check_digit(body + "X")
    return s


def read_rows(path: Path, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    if path.suffix == ".xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        text = [["" if v == "" else str(v) for v in r] for r in rows]
        return text[0], text[1:]
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    out = tmp_path_factory.mktemp("county")
    result = generate(out, N, 11, START, END)
    assert result.truth_path is not None
    return out, Truth.read(result.truth_path)


def _files(out: Path, truth: Truth) -> dict[str, tuple[list[str], list[list[str]], dict]]:
    data = {}
    for f in truth.files:
        (name,) = f["file"]
        header, rows = read_rows(out / name, f["encoding"])
        data[f["key"]] = (header, rows, f)
    return data


def test_files_have_department_headers_and_encodings(county: tuple[Path, Truth]) -> None:
    out, truth = county
    files = _files(out, truth)
    assert files["registry"][0][:3] == ["公民身份号码", "姓名", "性别"]
    assert "火化日期" in files["cremation"][0]
    assert "发放金额（元）" in files["payments"][0]
    raw = (out / truth.files[1]["file"][0]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    (out / truth.files[0]["file"][0]).read_bytes().decode("gb18030")
    for key, (_, rows, meta) in files.items():
        assert len(rows) == meta["rows"], key


def test_check_digits_valid_except_planted_invalid_rows(county: tuple[Path, Truth]) -> None:
    out, truth = county
    for key, (header, rows, meta) in _files(out, truth).items():
        name = meta["file"][0]
        key_header = next(c["header"] for c in meta["columns"] if c["field"] == "id_no")
        col = header.index(key_header)
        bad = {
            r["row"]
            for r in truth.invalid_rows
            if r["file"] == name and r["reason"] == "bad_check_digit"
        }
        empty = {
            r["row"] for r in truth.invalid_rows if r["file"] == name and r["reason"] == "empty_key"
        }
        assert bad and empty, key
        for i, row in enumerate(rows, start=1):
            value = row[col]
            if i in empty:
                assert value == ""
                continue
            assert ric.is_valid(normalise_id(value)) == (i not in bad), (key, i)


def test_invalid_dates_and_duplicates_where_truth_says(county: tuple[Path, Truth]) -> None:
    out, truth = county
    for _key, (header, rows, meta) in _files(out, truth).items():
        name = meta["file"][0]
        for r in truth.invalid_rows:
            if r["file"] == name and r["reason"] == "impossible_date":
                assert any(
                    "0230" in c or "2/30" in c or "2-30" in c or "2月30日" in c
                    for c in rows[r["row"] - 1]
                )
        dups = [d for d in truth.duplicates if d["file"] == name]
        assert dups
        for d in dups:
            assert rows[d["row"] - 1] == rows[d["duplicate_of"] - 1]
        assert header


def test_every_planted_case_and_decoy_is_in_the_data(county: tuple[Path, Truth]) -> None:
    out, truth = county
    files = _files(out, truth)
    ph, prow, _ = files["payments"]
    pid, pper, pdate = ph.index("证件号码"), ph.index("发放年月"), ph.index("发放日期")
    paid = {(normalise_id(r[pid]), r[pper][:4] + "-" + r[pper][4:6]) for r in prow}
    ch, crow, _ = files["cremation"]
    rh, rrow, _ = files["registry"]
    dead = {normalise_id(r[ch.index("身份证号码")]) for r in crow}
    dead |= {
        normalise_id(r[rh.index("公民身份号码")])
        for r in rrow
        if r[rh.index("人员状态")] == "死亡注销"
    }
    cases = truth.cases("subsidy_after_death")
    decoys = truth.decoys("subsidy_after_death")
    assert len({(c.subject_id, c.period) for c in cases}) >= 5 and len(decoys) >= 3
    for p in cases + decoys:
        assert ric.is_valid(p.subject_id)
        assert (p.subject_id, p.period) in paid, p
    assert all(c.subject_id in dead for c in cases)
    assert pdate


def test_same_seed_gives_identical_bytes_other_seed_differs(tmp_path: Path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
        }

    a = digest(generate(tmp_path / "a", 1500, 5, START, END).out_dir)
    b = digest(generate(tmp_path / "b", 1500, 5, START, END).out_dir)
    c = digest(generate(tmp_path / "c", 1500, 6, START, END).out_dir)
    assert a == b
    assert a != c


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="至少"):
        generate(tmp_path / "x", 10, 1, START, END)
    with pytest.raises(SynthError, match="早于"):
        generate(tmp_path / "x", 2000, 1, END, START)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(SynthError, match="非空"):
        generate(tmp_path / "full", 2000, 1, START, END)


def test_cli_writes_county(tmp_path: Path) -> None:
    from qingfeng.cli.app import app

    result = CliRunner().invoke(
        app, ["synth", str(tmp_path / "c"), "--persons", "1200", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "truth.json").exists()
    bad = CliRunner().invoke(app, ["synth", str(tmp_path / "d"), "--start", "2023-13-01"])
    assert bad.exit_code == 1
    assert "YYYY-MM-DD" in bad.output
