"""Dataset recognition and header mapping for the departments' own wordings.

The synthetic county's department files (qingfeng.synth.departments) use the headers real
departments use; the catalogue must recognise each file as its dataset and map every column that
carries a standard field, with no saved mapping. Recognition weighs each header by how specific
it is, so generic person columns (身份证号, 姓名) cannot pull a file into the wrong dataset.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from qingfeng.dataspec import get_dataset, load_catalogue, normalise_header
from qingfeng.ingest.mapping import header_weights, propose
from qingfeng.ingest.stage import normalise_values
from qingfeng.normalise import install_macros
from qingfeng.synth.departments import FILES, MEDICAL, FileSpec


def _samples(f: FileSpec) -> dict[str, list[str]]:
    """Division-code columns hold codes, as in the files (a 所属村 column may hold names); the
    other columns are recognised from their headers alone."""
    return {
        c.header: ["522701100001", "522701101002"]
        for c in f.columns
        if c.kind == "code" and c.field == "division_code"
    }


@pytest.mark.parametrize("f", FILES, ids=[f.key for f in FILES])
def test_department_file_is_recognised_with_every_field_mapped(f: FileSpec) -> None:
    headers = [c.header for c in f.columns]
    proposal = propose(headers, f.file_name, samples=_samples(f))
    assert proposal.mapping is not None, proposal.reason
    m = proposal.mapping
    assert m.dataset == f.dataset
    wrong = {
        c.header: m.columns.get(c.header)
        for c in f.columns
        if c.field is not None and m.columns.get(c.header) != c.field
    }
    assert not wrong
    for name, value in f.constants.items():
        assert m.constants.get(name) == value


def test_medical_claims_are_never_read_as_payroll() -> None:
    """Without a settlement-number column the file lacks medical_claims' key: it is reported as
    looking like medical claims, not handed to public_payroll for its 身份证号 and 姓名."""
    headers = ["单据流水", *(c.header for c in MEDICAL.columns if c.field != "claim_no")]
    proposal = propose(headers, "医保结算明细.csv")
    assert proposal.mapping is None
    assert "medical_claims" in proposal.reason and "claim_no" in proposal.reason
    assert "public_payroll" not in proposal.reason


def test_generic_person_columns_identify_nothing() -> None:
    proposal = propose(["身份证号", "姓名"], "名单.csv")
    assert proposal.mapping is None


def test_specific_headers_weigh_more_than_shared_ones() -> None:
    w = header_weights(["身份证号", "统筹支付（元）", "备注"], load_catalogue())
    assert w["统筹支付（元）"] == 1.0
    assert 0 < w["身份证号"] < 0.2
    assert w["备注"] == 0.0


def test_units_of_measure_are_ignored_but_money_units_kept() -> None:
    assert normalise_header("数量（公斤）") == normalise_header("数量") == "数量"
    assert normalise_header("建筑面积（㎡）") == "建筑面积"
    assert normalise_header("行驶里程 (KM)") == "行驶里程"
    canteen = propose(
        ["采购单号", "采购日期", "品名", "数量（公斤）", "金额（万元）", "学校统一社会信用代码"],
        "食堂采购.csv",
    ).mapping
    assert canteen is not None and canteen.dataset == "canteen_purchases"
    assert canteen.columns["数量（公斤）"] == "quantity"
    assert canteen.units == {"金额（万元）": "wan"}


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    install_macros(c)
    yield c
    c.close()


@pytest.mark.parametrize(
    ("dataset", "field", "raw", "want"),
    [
        ("official_receptions", "venue_type", "旅游景区", "scenic"),
        ("official_receptions", "venue_type", "高档会所", "entertainment"),
        ("official_receptions", "venue_type", "定点饭店", "hotel"),
        ("official_car_trips", "destination_type", "旅游景区", "scenic"),
        ("official_car_trips", "destination_type", "村（社区）", "village"),
        ("official_car_trips", "destination_type", "村(社区)", "village"),
        ("official_car_trips", "destination_type", "某某山庄", "other"),
    ],
)
def test_department_enum_wordings(
    con: duckdb.DuckDBPyConnection, dataset: str, field: str, raw: str, want: str
) -> None:
    [(value, error)] = normalise_values(con, get_dataset(dataset).field(field), [raw])
    assert (value, error) == (want, None)


@pytest.mark.parametrize(
    ("file_name", "source"),
    [("SJK_HHJL_2024.csv", "cremation"), ("sj_swyxzm.csv", "hospital"), ("EXPORT_01.csv", None)],
)
def test_a_required_source_is_read_from_the_initials_of_the_file_name(
    file_name: str, source: str | None
) -> None:
    """Database exports are named by the pinyin initials of their words: 火化记录 → HHJL."""
    headers = ["GMSFHM", "XM", "SWRQ"]
    samples = {
        "GMSFHM": ["522701193803040009", "52270119500101002X"],
        "XM": ["王小明", "李秀英"],
        "SWRQ": ["20230204", "20230301"],
    }
    proposal = propose(headers, file_name, dataset="deaths", samples=samples)
    if source is None:
        assert proposal.mapping is None and "source" in proposal.reason
    else:
        assert proposal.mapping is not None, proposal.reason
        assert proposal.mapping.constants == {"source": source}
