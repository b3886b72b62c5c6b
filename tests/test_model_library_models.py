"""The built-in model library: every model loads, is documented, and passes its bundled cases on
DuckDB; the statistical and text models compute what their descriptions say (checked against a
plain-Python computation on random data)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from built_in_models import MODEL_IDS
from built_in_models import built_in_models as models
from qingfeng.engine.loader import library_dir
from qingfeng.engine.testing import run_cases, run_inline


@pytest.fixture
def spec(model_id: str):  # type: ignore[no-untyped-def]
    return models().get(model_id)


REPO = Path(__file__).resolve().parents[1]


def test_the_library_has_at_least_32_models_that_load_cleanly() -> None:
    from qingfeng.model_library import BEYOND_RULES_MODEL_IDS, CORE_MODEL_IDS

    assert not models().errors, "\n".join(str(e) for e in models().errors)
    assert len(models().select(None)) >= 32
    assert len(set(CORE_MODEL_IDS)) == 32
    missing = [m for m in (*CORE_MODEL_IDS, *BEYOND_RULES_MODEL_IDS) if m not in models().models]
    assert not missing
    files = sorted(p.stem for p in library_dir().glob("*.yaml"))
    assert files == sorted(s.id for s in models().select(None))


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_model_is_documented_parameterised_and_tested(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.legal_basis and all(
        b.document.startswith(
            ("《", "各", "中央", "审计署", "民政部", "财政部", "农业农村部", "国务院", "教育部")
        )
        for b in spec.legal_basis
    )
    assert spec.name.en and spec.explanation
    # thresholds, periods and standards are parameters, each explained in both languages
    assert spec.parameters, f"{spec.id} has no parameters"
    for name, p in spec.parameters.items():
        assert p.description and p.description.zh and p.description.en, name
    assert spec.tests, f"{spec.id} has no bundled tests"
    for case in spec.tests:
        assert case.expected, f"{spec.id}: case {case.name!r} expects no hit"
        rows = max(len(r) for r in case.tables.values())
        # every case carries look-alike rows (decoys) beside the rows that must hit
        assert rows > len(case.expected) or len(case.tables) > 1, case.name


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_bundled_cases_pass_on_duckdb(spec) -> None:  # type: ignore[no-untyped-def]
    results = run_cases(spec)
    failed = [r for r in results if not r.passed]
    assert not failed, "\n".join(f"{r.case}: {r.problems} {r.error}" for r in failed)


# ---- the text-similarity model finds the pairs a brute-force Jaccard over every pair finds ----
def _bigrams(text: str) -> set[str]:
    text = text[:1000]
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@pytest.mark.parametrize("threshold", [0.55, 0.7, 0.8, 0.9])
def test_copy_paste_minhash_finds_exactly_the_brute_force_pairs(threshold: float) -> None:
    """MinHash/LSH picks the pairs to compare (a pair at the threshold with probability at
    least 99.99%, whatever the threshold), then similarity is computed exactly: on templated
    replies with a few characters changed, the hits are those of comparing every pair."""
    rng = random.Random(7)
    alphabet = "您反映的问题已收悉经核实情况属实责令整改感谢监督支持工作"
    templates = ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(4)]
    rows = []
    start = dt.datetime(2024, 3, 1, 9, 0)
    for i in range(60):
        base = rng.choice(templates) if rng.random() < 0.6 else None
        if base is None:
            reply = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 50)))
        else:  # a template with a few characters changed
            chars = list(base)
            for _ in range(rng.randint(0, 3)):
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            reply = "".join(chars)
        content = "".join(rng.choice("噪音扬尘收费电梯欠薪食品过期学校") for _ in range(12))
        rows.append(
            {
                "complaint_no": f"Q{i:03d}",
                "received_at": start + dt.timedelta(hours=i),
                "target_name": "对象",
                "category": "类别",
                "division_code": "522701001001",
                "content": content,
                "reply": reply,
                "status": "closed",
            }
        )
    max_content, min_length = 0.5, 10
    hits = run_inline(
        models().get("complaint_reply_copy_paste"),
        {"complaints": rows},
        parameters={
            "threshold": threshold,
            "max_content_similarity": max_content,
            "min_length": min_length,
        },
    )
    expected = set()
    docs = [r for r in rows if len(r["reply"].strip()) >= min_length]
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            if _jaccard(_bigrams(a["reply"]), _bigrams(b["reply"])) < threshold:
                continue
            if _jaccard(_bigrams(a["content"]), _bigrams(b["content"])) >= max_content:
                continue
            later = a if a["received_at"] > b["received_at"] else b
            expected.add(later["complaint_no"])
    assert len(expected) > 5  # the data does contain copies
    assert {h.subject_id for h in hits} == expected


# ---- the peer-outlier model equals a plain median/MAD computation ---------------------------
def test_canteen_robust_z_matches_a_plain_median_and_mad() -> None:
    rng = random.Random(11)
    rows = []
    for s in range(15):
        students = rng.randint(100, 800)
        per_student = rng.uniform(90, 110) if s != 3 else 260.0
        rows.append(
            {
                "purchase_no": f"P{s}",
                "school_uscc": f"S{s:02d}",
                "school_name": f"学校{s}",
                "purchase_date": dt.date(2024, 3, 5),
                "amount": Decimal(str(round(per_student * students, 2))),
                "students": students,
            }
        )
    hits = run_inline(models().get("canteen_spend_peer_outlier"), {"canteen_purchases": rows})
    values = {
        r["school_uscc"]: (r["amount"] / r["students"]).quantize(Decimal("0.01")) for r in rows
    }
    median = statistics.median(values.values())
    mad = statistics.median(abs(v - median) for v in values.values())
    expected = {
        s
        for s, v in values.items()
        if v > median * Decimal("1.5") and Decimal("0.6745") * (v - median) / mad > Decimal("3.5")
    }
    assert expected == {"S03"}
    assert {h.subject_id for h in hits} == expected
    z = Decimal("0.6745") * (values["S03"] - median) / mad
    assert Decimal(hits[0].evidence["robust_z"]) == z.quantize(Decimal("0.1"))


def test_benford_mad_matches_a_plain_computation() -> None:
    import math

    rng = random.Random(5)
    rows = []
    for i in range(200):  # village A: Benford-like amounts
        amount = Decimal(str(round(10 ** rng.uniform(1, 5), 2)))
        rows.append(
            {
                "voucher_no": f"A{i}",
                "division_code": "A",
                "entry_date": dt.date(2024, 1, 1),
                "amount": amount,
            }
        )
    for i in range(200):  # village B: uniform 1000-9999, too many high first digits
        rows.append(
            {
                "voucher_no": f"B{i}",
                "division_code": "B",
                "entry_date": dt.date(2024, 1, 1),
                "amount": Decimal(rng.randint(1000, 9999)),
            }
        )
    hits = {
        h.subject_id: h
        for h in run_inline(models().get("village_benford_deviation"), {"village_ledgers": rows})
    }
    for village in ("A", "B"):
        digits = [str(int(r["amount"]))[0] for r in rows if r["division_code"] == village]
        mad = (
            sum(
                abs(digits.count(str(d)) / len(digits) - math.log10(1 + 1 / d))
                for d in range(1, 10)
            )
            / 9
        )
        counts = [digits.count(str(d)) for d in range(1, 10)]
        n = len(digits)
        chi2 = sum(
            (k - n * math.log10(1 + 1 / d)) ** 2 / (n * math.log10(1 + 1 / d))
            for d, k in zip(range(1, 10), counts, strict=True)
        )
        # the shape is off (MAD) and the test says it is not sampling noise (chi-square, 0.1%)
        assert (village in hits) == (mad > 0.015 and chi2 > 26.124)
        if village in hits:
            assert Decimal(hits[village].evidence["mad"]) == Decimal(str(round(mad, 4)))
    assert "B" in hits and "A" not in hits


@pytest.mark.parametrize("n", [50, 100, 200])
def test_benford_ledgers_are_rarely_flagged_at_any_size(n: int) -> None:
    """Ledgers that follow Benford's law exactly: MAD > 0.015 alone flags most small ones, the
    model (MAD and the chi-square test at 0.1%) at most a few in a hundred."""
    from qingfeng.model_library.benford_check import false_positives

    r = false_positives(n, 150, seed=n)
    assert r.flagged <= 3, r
    if n == 50:
        assert r.flagged_mad_only > 100  # what a cut-off blind to n would do


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_citation_is_checked_or_marked_unverified(spec) -> None:  # type: ignore[no-untyped-def]
    """A legal basis is either checked against the published text (with its source) or shown as
    待核实; a model with a citation of neither kind fails."""
    for basis in spec.legal_basis:
        assert basis.status in ("checked", "unverified"), f"{spec.id}: {basis.document} unmarked"
        if basis.status == "checked":
            assert basis.source and basis.article and basis.text, f"{spec.id}: {basis.document}"


def test_a_checked_citation_without_its_source_is_refused() -> None:
    from pydantic import ValidationError

    from qingfeng.engine.spec import LegalBasis

    with pytest.raises(ValidationError, match="source"):
        LegalBasis(document="《社会救助暂行办法》", article="第六十八条", status="checked")
    assert LegalBasis(document="《某办法》", status="待核实").status == "unverified"


def test_parameters_change_the_result_without_editing_sql() -> None:
    case = models().get("reception_over_standard").tests[0]
    strict = run_inline(
        models().get("reception_over_standard"), case.tables, parameters={"per_head_limit": 50}
    )
    loose = run_inline(
        models().get("reception_over_standard"), case.tables, parameters={"per_head_limit": 1000}
    )
    assert {h.subject_id for h in strict} > {h.subject_id for h in loose}


def test_the_committed_catalogue_is_current() -> None:
    from qingfeng.model_library.reference_doc import render

    committed = (REPO / "docs" / "model-catalogue.md").read_text(encoding="utf-8")
    assert committed == render(models().select(None)), (
        "docs/model-catalogue.md is stale: "
        "run `qingfeng model docs --output docs/model-catalogue.md`"
    )
    for spec in models().select(None):
        assert f"`{spec.id}`" in committed


def test_holiday_parameters_follow_the_national_calendar() -> None:
    """Models that judge days off carry every State Council holiday and 调休 Saturday of the years
    they claim (2023–2026); a newer notice shipped in chinesecalendar shows up here first."""
    from qingfeng.holidays import national_holidays, national_workdays

    years = range(2023, 2027)
    off = {d.isoformat() for d in national_holidays() if d.year in years}
    worked = {d.isoformat() for d in national_workdays() if d.year in years}
    users = [m for m in models().select() if "holidays" in m.parameters]
    assert {m.id for m in users} >= {"official_car_private_use", "reception_weekend_or_luxury"}
    for m in users:
        assert off <= set(str(m.parameters["holidays"].default).split(",")), m.id
        assert worked == set(str(m.parameters["workdays"].default).split(",")), m.id


@pytest.mark.parametrize(
    ("wording", "code"),
    [
        ("农机购置与应用补贴", "farm_machinery"),  # the current name of the farm-machinery subsidy
        ("农机购置补贴", "farm_machinery"),
        ("高龄补贴", "old_age_allowance"),  # the wording that made every 80-year-old a hit
        ("80周岁以上高龄老人生活补贴", "old_age_allowance"),
        ("低保金（补发）", "dibao"),  # back pay keeps its kind; the period decides
    ],
)
def test_models_see_every_wording_of_the_subsidy_they_name(wording: str, code: str) -> None:
    """farm_machinery_fraud and old_age_not_enrolled name vocabulary codes, so every wording a
    department uses reaches them."""
    from qingfeng.dataspec.loader import vocabulary
    from qingfeng.normalise import vocab_code

    assert vocab_code(vocabulary("subsidy_types"), wording) == code
    users = {
        "farm_machinery": "farm_machinery_fraud",
        "old_age_allowance": "old_age_not_enrolled",
        "dibao": "subsidy_after_death",
    }
    spec = models().get(users[code])
    assert any(str(p.default).find(code) >= 0 for p in spec.parameters.values()) or code == "dibao"
