"""Training drills: the county goes out without its truth; findings are scored per model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qingfeng.cli.app import app
from qingfeng.synth import MODEL_IDS, PRACTICE_MODEL_IDS, SynthError, Truth
from qingfeng.synth.drill import DrillError, new_drill, score, sha256
from qingfeng.synth.truth import Planted

START, END = dt.date(2023, 1, 1), dt.date(2024, 12, 31)


def _truth() -> Truth:
    t = Truth(seed=1, persons=3000, start="2023-01-01", end="2024-12-31", county="522701")
    a, b, c = "522701194001010011", "522701193505050022", "52270119380303003X"
    t.planted = [
        Planted("subsidy_after_death", a, "2023-05", "case", ""),
        Planted("subsidy_after_death", a, "2023-06", "case", ""),
        Planted("subsidy_after_death", b, "2023-09", "case", ""),
        Planted("subsidy_after_death", c, "2023-07", "decoy", ""),
        Planted("bid_rotation", "915227011001584112", "2024-03", "case", ""),
    ]
    return t


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_score_counts_hits_false_positives_decoys_and_misses(tmp_path: Path) -> None:
    findings = _write(
        tmp_path / "f.csv",
        "model,subject_id,period\n"
        "subsidy_after_death,522701194001010011,2023-05\n"
        "subsidy_after_death, 522701194001010011 ,202306\n"  # spaces and YYYYMM are accepted
        "subsidy_after_death,52270119380303003x,2023-07\n"  # a decoy, lower-case x
        "subsidy_after_death,522701194001010099,2023-01\n"
        "made_up_model,1,2023-01\n",
    )
    result = score(findings, _truth())
    by = {m.model: m for m in result.models}
    s = by["subsidy_after_death"]
    assert (s.cases, s.found, s.false_positives, s.decoys_flagged) == (3, 2, 2, 1)
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(2 / 3)
    assert s.missed == [("522701193505050022", "2023-09")]
    assert by["bid_rotation"].recall == 0.0 and by["bid_rotation"].precision is None
    assert result.unknown_models == {"made_up_model": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model,subject\nx,y\n", "subject_id"),
        ("model,subject_id,period\nsubsidy_after_death,,2023-01\n", "第 2 行"),
        ("model,subject_id,period\nsubsidy_after_death,1,2023-13\n", "row 2"),
        ("model,subject_id,period\nofficial_car_private_use,1,2023-02-30\n", "YYYY-MM-DD"),
    ],
)
def test_malformed_findings_name_the_row(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DrillError, match=message):
        score(_write(tmp_path / "f.csv", text), _truth())


def test_drill_new_keeps_the_truth_out_of_the_county_and_cli_scores(tmp_path: Path) -> None:
    out, truth_path = tmp_path / "county", tmp_path / "keep" / "truth.json"
    with pytest.raises(SynthError, match="真值"):
        new_drill(out, out / "truth.json", 3000, START, END)
    result = new_drill(out, truth_path, 3000, START, END)
    assert not (out / "truth.json").exists() and truth_path.exists()
    manifest = json.loads((out / "drill.json").read_text(encoding="utf-8"))
    assert manifest["truth_sha256"] == sha256(truth_path)
    assert "seed" not in manifest and "planted" not in (out / "drill.json").read_text()
    assert sorted(manifest["models"]) == sorted(MODEL_IDS + PRACTICE_MODEL_IDS)
    truth = Truth.read(truth_path)
    assert truth.planted == result.truth.planted
    # A perfect submission scores 100% precision and recall on every model.
    rows = ["model,subject_id,period"] + [
        f"{p.model},{p.subject_id},{p.period}" for p in truth.planted if p.kind == "case"
    ]
    perfect = _write(tmp_path / "perfect.csv", "\n".join(rows) + "\n")
    res = CliRunner().invoke(
        app, ["drill", "score", str(perfect), "--truth", str(truth_path), "--json"]
    )
    assert res.exit_code == 0, res.output
    scored = json.loads(res.output)
    assert all(m["precision"] == 1.0 and m["recall"] == 1.0 for m in scored["models"])
    bad = CliRunner().invoke(
        app, ["drill", "score", str(tmp_path / "none.csv"), "--truth", str(truth_path)]
    )
    assert bad.exit_code == 1 and "无法读取" in bad.output
