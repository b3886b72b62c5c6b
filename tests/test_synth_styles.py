"""`qingfeng synth --style`: the same county (same truth) as other systems export it; the held-out
styles' wordings appear nowhere in the catalogue or the ingest; the measurement's scoring."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from qingfeng.cli.app import app
from qingfeng.dataspec import normalise_header
from qingfeng.ingest import readers
from qingfeng.synth import Truth, generate
from qingfeng.synth.departments import FILES
from qingfeng.synth.styles import HELD_OUT, STYLES, build
from qingfeng.synth.styles.measure import saved_mappings, score_file

SRC = Path(__file__).resolve().parents[1] / "src" / "qingfeng"
SEED = 5
START, END = dt.date(2023, 1, 1), dt.date(2023, 12, 31)


@pytest.fixture(scope="module")
def counties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Truth]]:
    out = {}
    for name in STYLES:
        folder = tmp_path_factory.mktemp(name) / "county"
        result = generate(folder, 3000, SEED, START, END, style=name)
        out[name] = (folder, result.truth)
    return out


def _read(path: Path, staging: Path) -> tuple[list[str], int, list[list[str]]]:
    """Headers, data rows and the rows themselves, as the ingest's readers see the file."""
    con = duckdb.connect()
    if path.suffix == ".csv":
        src = readers.read_csv_source(path, staging)
    else:
        src = next(readers.read_excel_sources(path, staging))
    rows = con.execute(f"SELECT * EXCLUDE (__row) FROM {src.relation}").fetchall()
    con.close()
    return src.headers, len(rows), [["" if v is None else str(v) for v in r] for r in rows]


def test_every_style_plants_the_same_cases_and_decoys(counties: dict) -> None:
    _, standard = counties["standard"]
    assert len(standard.cases()) > 100 and len(standard.decoys()) > 50
    for name, (_, truth) in counties.items():
        assert truth.planted == standard.planted, name
        assert truth.style == name


def test_standard_truth_keeps_its_format(counties: dict) -> None:
    folder, _ = counties["standard"]
    raw = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    assert "style" not in raw
    assert all(set(c) == {"header", "field"} for f in raw["files"] for c in f["columns"])
    styled = json.loads((counties["bureau"][0] / "truth.json").read_text(encoding="utf-8"))
    assert styled["style"] == "bureau"
    assert all("targets" in c for f in styled["files"] for c in f["columns"])


def test_every_file_of_every_style_is_readable_with_its_truth_headers_and_rows(
    counties: dict, tmp_path: Path
) -> None:
    for name, (folder, truth) in counties.items():
        assert {p.name for p in folder.iterdir()} == {n for f in truth.files for n in f["file"]} | {
            "truth.json"
        }, name
        for f in truth.files:
            path = folder / f["file"][0]
            headers, rows, _ = _read(path, tmp_path)
            assert headers == [c["header"] for c in f["columns"]], (name, path.name)
            assert rows == f["rows"], (name, path.name)


def _styled_file(counties: dict, style: str, key: str) -> tuple[Path, dict]:
    folder, truth = counties[style]
    entry = next(f for f in truth.files if f["key"] == key)
    return folder / entry["file"][0], entry


def _column(path: Path, entry: dict, field: str, tmp_path: Path) -> list[str]:
    _, _, rows = _read(path, tmp_path)
    i = [c["field"] for c in entry["columns"]].index(field)
    return [r[i] for r in rows]


def _dropped(truth: Truth, name: str) -> int:
    return sum(r["file"] == name for r in truth.invalid_rows + truth.duplicates)


@pytest.mark.parametrize(
    ("merged", "parent", "child", "join"),
    [
        ("dibao_roster", "dibao_households", "dibao_members", "case_no"),
        ("bid_opening", "tenders", "bids", "tender_no"),
    ],
)
def test_merged_files_carry_every_child_row_and_every_parent(
    counties: dict, tmp_path: Path, merged: str, parent: str, child: str, join: str
) -> None:
    """A member roster / bid-opening record holds one row per member / bid, and every household /
    tender of the standard county, so the planted cases are all still there."""
    path, entry = _styled_file(counties, "bureau", merged)
    assert entry["sources"] == [parent, child] and len(entry["datasets"]) == 2
    _, truth = counties["bureau"]
    std_truth = counties["standard"][1]
    ppath, pentry = _styled_file(counties, "standard", parent)
    cpath, centry = _styled_file(counties, "standard", child)
    clean_rows = entry["rows"] - _dropped(truth, path.name)
    assert clean_rows == centry["rows"] - _dropped(std_truth, cpath.name)
    keys = {k.strip() for k in _column(path, entry, join, tmp_path) if k.strip()}
    std_keys = {k.strip() for k in _column(ppath, pentry, join, tmp_path) if k.strip()}
    assert keys == std_keys
    # The join column carries both datasets' field; the others one each.
    targets = {c["header"]: c["targets"] for c in entry["columns"]}
    join_header = next(c["header"] for c in entry["columns"] if c["field"] == join)
    assert sorted(targets[join_header]) == sorted(
        [[pentry["dataset"], join], [centry["dataset"], join]]
    )


def test_style_renderings(counties: dict, tmp_path: Path) -> None:
    path, entry = _styled_file(counties, "dbcodes", "registry")
    assert entry["columns"][0]["header"] == "GMSFHM"
    assert set(_column(path, entry, "gender", tmp_path)) == {"1", "2"}
    births = [d for d in _column(path, entry, "birth_date", tmp_path) if d]
    assert births and all(re.fullmatch(r"\d{8}", d) for d in births)
    assert path.read_bytes()[:3] != b"\xef\xbb\xbf"  # plain UTF-8, no BOM

    path, entry = _styled_file(counties, "bureau", "shareholders")
    ratios = _column(path, entry, "share_ratio", tmp_path)
    assert ratios and all(r.endswith("%") for r in ratios if r)
    path, entry = _styled_file(counties, "bureau", "payments")
    periods = set(_column(path, entry, "period", tmp_path))
    assert all(re.fullmatch(r"20\d{4}", p) for p in periods)
    types = set(_column(path, entry, "subsidy_type", tmp_path))
    assert "高龄补助" in types and "高龄津贴" not in types
    pay_dates = _column(path, entry, "pay_date", tmp_path)
    assert any(d.startswith("二〇二") for d in pay_dates)
    path, entry = _styled_file(counties, "bureau", "vehicles")
    assert set(_column(path, entry, "status", tmp_path)) == {"A"}
    headers, _, _ = _read(_styled_file(counties, "bureau", "payments")[0], tmp_path)
    first_cell = next(readers_rows(_styled_file(counties, "bureau", "payments")[0]))
    assert first_cell and first_cell[0] not in headers  # a title row above the header

    path, entry = _styled_file(counties, "legacy", "registry")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    raw.decode("gbk")
    ids = [i.strip() for i in _column(path, entry, "id_no", tmp_path) if i.strip()]
    assert sum(len(i) == 15 for i in ids) > 0.2 * len(ids)
    headers = [c["header"] for c in entry["columns"]]
    assert headers[0] != "身份证编码" and "操作员工号" in headers
    path, entry = _styled_file(counties, "legacy", "payments")
    assert all(re.fullmatch(r"20\d\d\.\d\d", p) for p in _column(path, entry, "period", tmp_path))
    assert next(c for c in entry["columns"] if c["field"] == "amount")["header"].endswith(
        "（万元）"
    )


def readers_rows(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    return iter(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


# ------------------------------------------------------------------------ held out
def _strings(node: Any) -> Any:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _source_text() -> str:
    """The catalogue YAML and the ingest and catalogue code, as text."""
    paths = [
        *sorted((SRC / "dataspec").rglob("*.yaml")),
        *sorted((SRC / "ingest").rglob("*.py")),
        SRC / "normalise.py",
        *sorted((SRC / "dataspec").glob("*.py")),
    ]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def _known_wordings() -> set[str]:
    """Every wording the product knows: each string of the catalogue YAML (names, synonyms,
    code values, descriptions) and each string literal of the ingest and catalogue code, whole
    and split at separators (lists and regex alternations), normalised as headers are."""
    texts: set[str] = set()
    for path in sorted((SRC / "dataspec").rglob("*.yaml")):  # datasets and vocabularies
        texts.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    code = [*(SRC / "ingest").rglob("*.py"), SRC / "normalise.py"]
    code += (SRC / "dataspec").glob("*.py")
    for path in code:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.add(node.value)
    for path in [*(SRC / "ingest").rglob("*.yaml"), *(SRC / "dataspec").rglob("*.txt")]:
        texts.update(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    out = set()
    for t in texts:
        for part in [t, *re.split(r"[\s,;|/()\[\]{}^$?*+:'\"、，；（）]+", t)]:
            if part:
                out.add(normalise_header(part))
    return out


def _wordings(style: str) -> set[str]:
    """A style's own headers and code values, generic ones (digits, one letter) left out."""
    words: set[str] = set()
    for sf in build(STYLES[style], FILES):
        words |= {c.header for c in sf.spec.columns}
        words |= {v for codes in sf.values.values() for v in codes.values()}
        words |= {v for vals in sf.extras.values() for v in vals}
    return {w for w in words if not re.fullmatch(r"[\d\W]*|[A-Za-z]", w)}


def test_held_out_wordings_appear_nowhere_in_the_catalogue_or_the_ingest() -> None:
    known = _known_wordings()
    text = _source_text()
    # The check can fail: the standard style's headers are nearly all known...
    standard = _wordings("standard")
    assert len({w for w in standard if normalise_header(w) in known}) > 0.9 * len(standard)
    assert len({w for w in standard if w in text}) > 0.9 * len(standard)
    # ...and the held-out styles' headers and code values are all unknown.
    assert set(HELD_OUT) == {"bureau", "legacy"}
    for style in HELD_OUT:
        words = _wordings(style)
        assert len(words) > 150
        leaked = sorted(w for w in words if normalise_header(w) in known)
        assert not leaked, f"{style}: wordings found in the catalogue or the ingest: {leaked}"
        # Not even inside a longer entry, comment or message.
        inside = sorted(w for w in words if w in text)
        assert not inside, f"{style}: wordings found in the catalogue or ingest text: {inside}"


def test_every_standard_field_is_kept_by_every_style() -> None:
    for name, style in STYLES.items():
        carried = {t for sf in build(style, FILES) for targets in sf.targets for t in targets}
        wanted = {(f.dataset, c.field) for f in FILES for c in f.columns if c.field}
        assert carried == wanted, name


# ------------------------------------------------------------------------ CLI and scoring
def test_unknown_style_is_refused_with_the_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", str(tmp_path / "c"), "--persons", "3000", "--style", "unknown"]
    )
    assert result.exit_code != 0
    for name in STYLES:
        assert name in result.output
    assert not (tmp_path / "c").exists()
    result = CliRunner().invoke(
        app, ["drill", "styles", str(tmp_path / "m"), "--styles", "x,dbcodes"]
    )
    assert result.exit_code != 0 and "unknown style x" in result.output
    assert "legacy" in result.output


def test_score_file_compares_mappings_with_the_truth(counties: dict, tmp_path: Path) -> None:
    """A mapping that puts one header on the wrong field and leaves another unmapped scores
    two columns wrong; a file carrying two datasets needs both mappings to be recognised."""
    _, entry = _styled_file(counties, "bureau", "dibao_roster")
    folder = tmp_path / "mappings"
    folder.mkdir()
    headers = [c["header"] for c in entry["columns"]]
    for ds in ("dibao_households", "dibao_members"):
        cols: dict[str, str | None] = {h: None for h in headers}
        for c in entry["columns"]:
            for d, f in c["targets"]:
                if d == ds:
                    cols[c["header"]] = f
        if ds == "dibao_members":
            wrong = next(c["header"] for c in entry["columns"] if c["field"] == "name")
            cols[wrong] = "relation_to_head"
            missing = next(
                c["header"] for c in entry["columns"] if c["field"] == "relation_to_head"
            )
            cols[missing] = None
        body = {"dataset": ds, "confirmed": True, "headers": headers, "columns": cols}
        (folder / f"{ds}.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), "utf-8")
    result = score_file(entry, saved_mappings(folder), rows_expected=10, rows_landed=9)
    assert result.recognised and result.recognised_as == ["dibao_households", "dibao_members"]
    assert result.columns == sum(bool(c["targets"]) for c in entry["columns"])
    assert result.columns_right == result.columns - 2 and len(result.wrong_columns) == 2
    (folder / "dibao_households.yaml").unlink()
    result = score_file(entry, saved_mappings(folder), rows_expected=10, rows_landed=9)
    assert not result.recognised
    join = next(c["header"] for c in entry["columns"] if c["field"] == "case_no")
    assert any(w.startswith(join) for w in result.wrong_columns)  # half its targets only


@pytest.mark.slow
def test_measure_standard_style_end_to_end(tmp_path: Path) -> None:
    """The whole harness on the standard county: every file recognised, every column on its
    field, every row expected landed and every core model at target; JSON and Markdown out."""
    from qingfeng.synth.styles.measure import measure

    out = tmp_path / "styles"
    (result,) = measure(out, ["standard"], 3000, 20241)
    s = result.summary()
    assert (s["files_recognised"], s["files"]) == (26, 26)
    assert s["columns_right"] == s["columns"] == s["columns_right_told"] > 150
    assert s["rows_landed"] >= s["rows_expected"] > 30_000
    assert (s["models_at_target"], s["core_models"], s["decoys_hit"]) == (32, 32, 0)
    body = json.loads((out / "styles.json").read_text(encoding="utf-8"))
    assert body["styles"]["standard"]["summary"] == s
    assert "| `standard` | 26/26 | 100% (212/212)" in (out / "styles.md").read_text("utf-8")
    assert not (out / "standard" / "county" / "truth.json").exists()  # kept out of the ingest
    with pytest.raises(ValueError, match="not empty"):
        measure(out, ["standard"], 3000, 20241)


@pytest.mark.slow
def test_merged_files_are_written_chunk_by_chunk(tmp_path: Path) -> None:
    """A county written in several chunks: each chunk's members and bids carry their own
    households and tenders, and the truth is the standard one."""
    args = (4000, 3, START, END)  # two chunks: the first of 3,000 (the minimum), then 1,000
    styled = generate(tmp_path / "b", *args, chunk_persons=1000, style="bureau").truth
    standard = generate(tmp_path / "s", *args, chunk_persons=1000).truth
    assert styled.planted == standard.planted
    rows = {f["key"]: f["rows"] for f in styled.files}
    std_rows = {f["key"]: f["rows"] for f in standard.files}
    for merged, child in (("dibao_roster", "dibao_members"), ("bid_opening", "bids")):
        name = next(f["file"][0] for f in styled.files if f["key"] == merged)
        std_name = next(f["file"][0] for f in standard.files if f["key"] == child)
        kept = rows[merged] - _dropped(styled, name)
        assert kept == std_rows[child] - _dropped(standard, std_name)
