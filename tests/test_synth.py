"""The synthetic county: valid IDs except where invalid rows were planted, every planted case and
decoy present in the files, the mess in its stated proportions, byte-identical output for a seed,
clear errors on bad arguments."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from pathlib import Path

import numpy as np
import opencc
import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import ric, uscc
from typer.testing import CliRunner

from qingfeng.synth import MODEL_IDS, PRACTICE_MODEL_IDS, SynthError, Truth, generate
from qingfeng.synth import dates as sdates
from qingfeng.synth import ids as sids
from qingfeng.synth.departments import FILES, by_key

START, END = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
N = 3000
SEED = 11
FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def normalise_id(raw: str) -> str:
    s = raw.strip().translate(FULLWIDTH).upper()
    if len(s) == 15 and s.isdigit():
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
    out = tmp_path_factory.mktemp("county") / "c"
    result = generate(out, N, SEED, START, END)
    assert result.truth_path is not None
    return out, Truth.read(result.truth_path)


@pytest.fixture(scope="module")
def files(county: tuple[Path, Truth]) -> dict[str, tuple[list[str], list[list[str]], dict]]:
    out, truth = county
    data = {}
    for f in truth.files:
        (name,) = f["file"]
        header, rows = read_rows(out / name, f["encoding"])
        data[f["key"]] = (header, rows, f)
    return data


def test_every_department_file_is_written_with_its_headers_and_encoding(
    county: tuple[Path, Truth], files: dict
) -> None:
    out, truth = county
    assert {f["key"] for f in truth.files} == {f.key for f in FILES}
    datasets = {f.dataset for f in FILES}
    assert len(datasets) == 24  # every standard dataset of docs/architecture.md
    for key, (header, rows, meta) in files.items():
        spec = by_key(key)
        assert header == [c.header for c in spec.columns], key
        assert len(rows) == meta["rows"] > 0, key
        raw = (out / spec.file_name).read_bytes()
        if spec.encoding == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
        elif spec.encoding == "gb18030":
            raw.decode("gb18030")
            assert not raw.startswith(b"\xef\xbb\xbf")


def test_check_digits_valid_except_planted_invalid_rows(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    for key, (header, rows, meta) in files.items():
        spec = by_key(key)
        name = meta["file"][0]
        bad = {
            r["row"]
            for r in truth.invalid_rows
            if r["file"] == name and r["reason"] == "bad_check_digit"
        }
        empty = {
            r["row"] for r in truth.invalid_rows if r["file"] == name and r["reason"] == "empty_key"
        }
        assert empty, key
        key_col = header.index(spec.column(spec.key_field).header)
        for c in spec.columns:
            if c.kind not in ("id", "uscc"):
                continue
            col = header.index(c.header)
            for i, row in enumerate(rows, start=1):
                value = row[col]
                if col == key_col and i in empty:
                    assert value == "", (key, i)
                    continue
                if not value:
                    continue
                wrong = col == key_col and i in bad
                if c.kind == "id":
                    assert ric.is_valid(normalise_id(value)) != wrong, (key, c.header, i, value)
                else:
                    assert uscc.is_valid(value.strip()) != wrong, (key, c.header, i, value)


def test_impossible_dates_and_duplicates_where_truth_says(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    for key, (_header, rows, meta) in files.items():
        name = meta["file"][0]
        for r in truth.invalid_rows:
            if r["file"] == name and r["reason"] == "impossible_date":
                assert any(re.search(r"(0230|/2/30|-02-30|2月30日)", c) for c in rows[r["row"] - 1])
        dups = [d for d in truth.duplicates if d["file"] == name]
        assert dups, key
        for d in dups:
            assert d["duplicate_of"] < d["row"]
            assert rows[d["row"] - 1] == rows[d["duplicate_of"] - 1]
        assert len(dups) == truth.mess[key]["duplicates"]


def test_every_model_has_five_cases_and_three_decoys_present_in_the_data(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    assert sorted({p.model for p in truth.planted}) == sorted(MODEL_IDS + PRACTICE_MODEL_IDS)
    assert len(MODEL_IDS) == 36
    for model in PRACTICE_MODEL_IDS:  # fewer, but each with a case and a lawful look-alike
        assert truth.cases(model) and truth.decoys(model), model
    values: set[str] = set()
    for _h, rows, _m in files.values():
        for row in rows:
            for cell in row:
                values.add(cell.strip())
                values.add(normalise_id(cell))
    for model in MODEL_IDS:
        cases = {(p.subject_id, p.period) for p in truth.cases(model)}
        decoys = {(p.subject_id, p.period) for p in truth.decoys(model)}
        assert len(cases) >= 5, model
        assert len(decoys) >= 3, model
        assert not cases & decoys, model
        for subject, period in cases | decoys:
            assert subject in values, (model, subject)
            # a month; a vehicle-day for the car model (one warning per vehicle and day)
            day = r"(-(0[1-9]|[12]\d|3[01]))?" if model == "official_car_private_use" else ""
            assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])" + day, period), (model, period)
    for p in truth.planted:
        if len(p.subject_id) == 18 and p.subject_id[:2] == "52":
            assert ric.is_valid(p.subject_id), p


def _payments(files: dict) -> tuple[set[tuple[str, str, str]], list[str], list[list[str]]]:
    header, rows, _ = files["payments"]
    i_id, i_per, i_type = (
        header.index("证件号码"),
        header.index("发放年月"),
        header.index("补贴项目"),
    )
    paid = {(normalise_id(r[i_id]), f"{r[i_per][:4]}-{r[i_per][4:6]}", r[i_type]) for r in rows}
    return paid, header, rows


def test_subsidy_after_death_cases_are_paid_after_a_recorded_death(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    paid, _, _ = _payments(files)
    paid_pairs = {(i, per) for i, per, _ in paid}
    dead: set[str] = set()
    for key, col in (("cremation", "身份证号码"), ("hospital_deaths", "身份证件号码")):
        h, rows, _ = files[key]
        dead |= {normalise_id(r[h.index(col)]) for r in rows}
    h, rows, _ = files["registry"]
    dead |= {normalise_id(r[0]) for r in rows if r[h.index("人员状态")] == "死亡注销"}
    for p in truth.cases("subsidy_after_death"):
        assert (p.subject_id, p.period) in paid_pairs
        assert p.subject_id in dead
    for p in truth.decoys("subsidy_after_death"):
        assert (p.subject_id, p.period) in paid_pairs


def test_old_age_not_enrolled_cases_have_no_recent_payment(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    paid, _, _ = _payments(files)
    recent = {"2024-10", "2024-11", "2024-12"}
    old_age = {(i, per) for i, per, t in paid if t == "高龄津贴"}
    for p in truth.cases("old_age_not_enrolled"):
        assert not any((p.subject_id, m) in old_age for m in recent), p
    assert (
        sum(
            1
            for p in truth.decoys("old_age_not_enrolled")
            if any((p.subject_id, m) in old_age for m in recent)
        )
        >= 1
    )


def test_mess_appears_in_the_stated_proportions(county: tuple[Path, Truth], files: dict) -> None:
    _, truth = county
    spec = by_key("registry")
    header, rows, _ = files["registry"]
    counts = truth.mess["registry"]
    clean = counts["rows_clean"]
    col = [r[header.index("公民身份号码")] for r in rows]
    # Exact duplicates and invalid copies carry their source's mess; count on the clean rows only.
    extra = {r["row"] for r in truth.invalid_rows if r["file"] == spec.file_name}
    extra |= {d["row"] for d in truth.duplicates if d["file"] == spec.file_name}
    base = [v for i, v in enumerate(col, start=1) if i not in extra]
    assert len(base) == clean
    assert (
        sum(len(v.strip()) == 15 for v in base)
        == counts["公民身份号码:id15"]
        == round(0.02 * clean)
    )
    assert (
        sum(bool(re.search("[０-９]", v)) for v in base)
        == counts["公民身份号码:fullwidth"]
        == round(0.01 * clean)
    )
    assert (
        sum(v != v.strip() for v in base) == counts["公民身份号码:id_space"] == round(0.01 * clean)
    )
    lower = sum(v.strip().endswith("x") for v in base)
    upper = sum(v.strip().endswith("X") for v in base)
    assert lower == counts["公民身份号码:lower_x"]
    assert abs(lower / (lower + upper) - 0.5) < 0.05
    t2s = opencc.OpenCC("t2s")
    names = [r[header.index("姓名")] for i, r in enumerate(rows, start=1) if i not in extra]
    traditional = sum(t2s.convert(n) != n for n in names)
    assert traditional == counts["姓名:traditional"] == round(0.03 * clean)
    assert (
        sum(n != n.replace(" ", "") for n in names)
        == counts["姓名:name_space"]
        == round(0.02 * clean)
    )
    births = [r[header.index("出生日期")] for i, r in enumerate(rows, start=1) if i not in extra]
    compact = sum(bool(re.fullmatch(r"\d{8}", b)) for b in births)
    iso = sum(bool(re.fullmatch(r"\d{4}-\d\d-\d\d", b)) for b in births)
    assert compact == counts["出生日期:date_compact"] and iso == counts["出生日期:date_iso"]
    assert compact + iso == clean and abs(iso / clean - 0.15) < 0.01
    # All four date formats occur across the county, and amounts in 万元 as well as 元.
    formats = set()
    for c in truth.mess.values():
        formats |= {k.rsplit("date_", 1)[1] for k in c if ":date_" in k}
    assert formats == {"iso", "slash", "compact", "cn"}
    ch, crows, _ = files["companies"]
    capital = [
        float(r[ch.index("注册资本（万元）")]) for r in crows if r[ch.index("注册资本（万元）")]
    ]
    assert max(capital) < 100_000 and min(capital) < 10
    # Invalid rows: at least one per reason, about 0.1% of a large file.
    n_invalid = sum(1 for r in truth.invalid_rows if r["file"] == spec.file_name)
    assert n_invalid == 3 * max(1, round(0.001 * clean))


def test_vectorised_check_digits_match_python_stdnum() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    area = np.array(["522701", "522731"])[rng.integers(0, 2, n)]
    birth = rng.integers(sdates.day_of_iso("1920-01-01"), sdates.day_of_iso("2020-01-01"), n)
    seq = rng.integers(0, 1000, n)
    built = sids.build18(area, birth, seq)
    assert all(ric.is_valid(x) for x in built)
    assert not any(ric.is_valid(x) for x in sids.wrong_check(built, rng))


def test_same_seed_gives_identical_bytes_through_the_cli(
    county: tuple[Path, Truth], tmp_path: Path
) -> None:
    from qingfeng.cli.app import app

    out, _ = county
    copy = tmp_path / "again"
    args = ["synth", str(copy), "--persons", str(N), "--seed", str(SEED)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "行/秒" in result.output

    def digest(folder: Path) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
        }

    assert digest(copy) == digest(out)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SynthError, match="至少"):
        generate(tmp_path / "x", 10, 1, START, END)
    with pytest.raises(SynthError, match="早于"):
        generate(tmp_path / "x", 3000, 1, END, START)
    with pytest.raises(SynthError, match="12 个月"):
        generate(tmp_path / "x", 3000, 1, START, dt.date(2023, 6, 30))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(SynthError, match="非空"):
        generate(tmp_path / "full", 3000, 1, START, END)
    from qingfeng.cli.app import app

    bad = CliRunner().invoke(app, ["synth", str(tmp_path / "d"), "--start", "2023-13-01"])
    assert bad.exit_code == 1
    assert "YYYY-MM-DD" in bad.output
    assert not (tmp_path / "d").exists()


def parse_date(text: str) -> dt.date | None:
    s = text.strip().split(" ")[0]
    for pattern in (
        r"(\d{4})-(\d\d)-(\d\d)",
        r"(\d{4})/(\d{1,2})/(\d{1,2})",
        r"(\d{4})(\d\d)(\d\d)",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日",
    ):
        m = re.fullmatch(pattern, s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def clean(files: dict, truth: Truth, key: str) -> tuple[list[str], list[list[str]]]:
    """Rows a correct ingest keeps: without planted invalid rows and exact duplicates."""
    header, rows, meta = files[key]
    name = meta["file"][0]
    drop = {r["row"] for r in truth.invalid_rows if r["file"] == name}
    drop |= {d["row"] for d in truth.duplicates if d["file"] == name}
    return header, [r for i, r in enumerate(rows, start=1) if i not in drop]


def _earliest_deaths(files: dict, truth: Truth) -> dict[str, dt.date]:
    deaths: dict[str, dt.date] = {}
    for key, id_col, date_col in (
        ("cremation", "身份证号码", "死亡日期"),
        ("hospital_deaths", "身份证件号码", "死亡时间"),
        ("insurance_deaths", "身份证号", "死亡日期"),
        ("registry", "公民身份号码", "死亡日期"),
    ):
        h, rows = clean(files, truth, key)
        for r in rows:
            d = parse_date(r[h.index(date_col)])
            if d is not None:
                i = normalise_id(r[h.index(id_col)])
                deaths[i] = min(d, deaths.get(i, d))
    return deaths


def test_reference_rule_finds_exactly_the_planted_subsidy_after_death_cases(
    county: tuple[Path, Truth], files: dict
) -> None:
    """The thin path's rule, written naively, finds every case and nothing else."""
    _, truth = county
    deaths = _earliest_deaths(files, truth)
    h, rows = clean(files, truth, "payments")
    hits = set()
    for r in rows:
        i = normalise_id(r[h.index("证件号码")])
        pay = parse_date(r[h.index("发放日期")])
        per = r[h.index("发放年月")]
        period = f"{per[:4]}-{per[4:6]}"
        # the month paid for is after the month of death (that month is due in full)
        if i in deaths and pay is not None and pay > deaths[i] and period > f"{deaths[i]:%Y-%m}":
            hits.add((i, period))
    cases = {(p.subject_id, p.period) for p in truth.cases("subsidy_after_death")}
    decoys = {(p.subject_id, p.period) for p in truth.decoys("subsidy_after_death")}
    assert hits == cases
    assert not hits & decoys


def test_reference_rule_finds_exactly_the_old_age_not_enrolled_cases(
    county: tuple[Path, Truth], files: dict
) -> None:
    _, truth = county
    deaths = _earliest_deaths(files, truth)
    h, rows = clean(files, truth, "payments")
    recent = {"202410", "202411", "202412"}
    paid = {
        normalise_id(r[h.index("证件号码")])
        for r in rows
        if r[h.index("补贴项目")] == "高龄津贴" and r[h.index("发放年月")] in recent
    }
    rh, regs = clean(files, truth, "registry")
    due = dt.date(1944, 10, 1)  # 80 years old by 1 October 2024, three months before the end
    hits = set()
    for r in regs:
        i = normalise_id(r[rh.index("公民身份号码")])
        born = parse_date(r[rh.index("出生日期")])
        if (
            r[rh.index("人员状态")] == "正常"
            and i not in deaths
            and born
            and born <= due
            and i not in paid
        ):
            hits.add(i)
    assert hits == {p.subject_id for p in truth.cases("old_age_not_enrolled")}


@pytest.mark.slow
def test_large_counties_are_written_in_chunks_with_unique_ids(tmp_path: Path) -> None:
    result = generate(tmp_path / "big", 4500, 3, START, END, chunk_persons=1000)
    _header, rows = read_rows(result.out_dir / by_key("registry").file_name, "gb18030")
    ids = [normalise_id(r[0]) for r in rows if r[0]]
    truth = result.truth
    extra = {r["row"] for r in truth.invalid_rows if r["file"] == by_key("registry").file_name}
    extra |= {d["row"] for d in truth.duplicates if d["file"] == by_key("registry").file_name}
    unique = {normalise_id(r[0]) for i, r in enumerate(rows, start=1) if i not in extra}
    assert len(unique) == 4500 == truth.mess["registry"]["rows_clean"]
    assert len(ids) >= 4500
    # Every chunk carries its own share of invalid rows (at least one per reason per chunk).
    assert sum(1 for r in truth.invalid_rows if r["file"] == by_key("registry").file_name) >= 6
    assert result.rows_per_second > 0


def test_a_failed_run_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    gen = importlib.import_module("qingfeng.synth.generate")

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(gen, "_plant", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(tmp_path / "county", 3000, 1, START, END)
    assert list(tmp_path.iterdir()) == []


def test_every_standard_field_of_the_architecture_is_carried_by_some_file() -> None:
    """docs/architecture.md's dataset table: each key field has a department header (or a
    constant of the file), so mapping can fill every standard field."""
    from qingfeng.synth.departments import header_synonyms

    doc = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    doc = doc.split("### Datasets beside the county's department files", 1)[0]
    synonyms = header_synonyms()
    constants = {(f.dataset, k) for f in FILES for k in f.constants}
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", doc, flags=re.M)
    assert len(rows) == 24
    for dataset, fields in rows:
        for field in re.findall(r"\b([a-z_]+)\b", re.sub(r"\([^)]*\)", "", fields)):
            assert (dataset, field) in synonyms or (dataset, field) in constants, (dataset, field)


def test_excel_exports_split_into_parts_and_rows_are_located(tmp_path: Path) -> None:
    from qingfeng.synth.writers import FileWriter

    spec = by_key("payroll")
    w = FileWriter(tmp_path, spec, xlsx_max_rows=3)
    cols = [np.array([f"{c.header}{i}" for i in range(5)]) for c in spec.columns]
    cols[-1] = np.array(["100.00"] * 5)  # the money column goes in as a number
    w.write(cols)
    w.close()
    assert [p.name for p in w.paths] == [
        spec.file_name,
        spec.file_name.replace(".xlsx", "_part2.xlsx"),
    ]
    assert w.locate(4) == (w.paths[1].name, 2)
    header, rows = read_rows(w.paths[1], None)
    assert header == [c.header for c in spec.columns]
    assert rows[1][0] == "序号4" and float(rows[1][-1]) == 100.0
