"""Recognition rules for what the headers leave open: a dataset whose measures have no column,
free-text columns placed once every other column is, a column of kinds beside the column it
qualifies, names written with a staff number, and enum wordings marked by an empty column.

Every table here is written for the test; its wordings are neither catalogue synonyms nor
those of the synthetic export styles.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from ingest_helpers import write_csv
from qingfeng.dataspec import get_dataset, load_catalogue, normalise_header
from qingfeng.dataspec.model import DatasetSpec
from qingfeng.ingest import ingest_path
from qingfeng.ingest.enum_evidence import Wording, infer_values
from qingfeng.ingest.mapping import Proposal, propose
from qingfeng.ingest.profile import profile_samples
from qingfeng.lake import connect
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace
from recognise_data import company, person, resident_id, uscc

Row = dict[str, str]


def _table(columns, rows: int = 60, seed: int = 5):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    out: list[Row] = []
    for k in range(rows):
        row: Row = {}
        for h, g in columns:
            row[h] = g(rng, row, k)
        out.append(row)
    return out


def _propose(columns, name: str = "export.csv", dataset: str | None = None) -> Proposal:  # type: ignore[no-untyped-def]
    table = _table(columns)
    values = {h: [r[h] for r in table if r[h]] for h, _ in columns}
    return propose([h for h, _ in columns], name, dataset, values)


def _day(rng: random.Random, start: str = "2023-01-01", span: int = 500) -> dt.date:
    return dt.date.fromisoformat(start) + dt.timedelta(days=rng.randint(0, span))


def test_no_header_here_is_a_catalogue_synonym() -> None:
    synonyms = {
        normalise_header(h)
        for spec in load_catalogue().values()
        for f in spec.fields
        for h in f.header_names
    }
    mine = [
        "参保人编码",
        "停保时间",
        "当事人",
        "公民证件号",
        "经办",
        "经手",
        "复核批注",
        "抵达处",
        "抵达处类别",
    ]
    assert not [h for h in mine if normalise_header(h) in synonyms]


# ----------------------------------------------------------------- measures
_LAPSED = [
    ("参保人编码", lambda rng, row, k: f"{rng.randint(10**11, 10**12 - 1)}"),
    ("参保人证件号码", lambda rng, row, k: resident_id(rng)),
    ("参保人", lambda rng, row, k: person(rng)),
    ("死亡日期", lambda rng, row, k: str(_day(rng))),
    (
        "停保时间",
        lambda rng, row, k: str(
            dt.date.fromisoformat(row["死亡日期"]) + dt.timedelta(days=rng.randint(3, 40))
        ),
    ),
]


def test_a_table_without_a_claims_measure_is_not_read_as_claims() -> None:
    """Insured persons, a death date and the date their cover ended: claims share the insured
    person and two ordered dates, but not one column of what a claim records (its cost), so
    the table goes to the dataset that explains it as well and needs no cost: deaths."""
    p = _propose(_LAPSED, "医保局_参保终止名单.csv")
    assert p.mapping is not None, p.reason
    assert p.mapping.dataset == "deaths"
    assert p.mapping.columns["死亡日期"] == "death_date"
    assert p.mapping.columns["停保时间"] == "record_date"
    assert p.mapping.constants.get("source") == "medical_insurance"
    claims = next(c for c in p.candidates if c.dataset == "medical_claims")
    assert claims.complete  # it was in the running: the measure rule set it aside


def test_a_claims_table_told_its_dataset_is_still_mapped() -> None:
    """Told the dataset, a person gets the claims mapping of such a table all the same."""
    p = _propose(_LAPSED, "医保局_参保终止名单.csv", dataset="medical_claims")
    assert p.draft is not None and p.draft.dataset == "medical_claims"


def test_measures_must_be_fields_of_the_dataset() -> None:
    spec = get_dataset("medical_claims").model_dump()
    spec["measures"] = ["amount", "cost_of_nothing"]
    with pytest.raises(ValueError, match="cost_of_nothing"):
        DatasetSpec.model_validate(spec)


# ----------------------------------------------------------------- elimination
_REASONS = ["报价文件未按规定密封", "投标保证金未按时足额缴纳", "资质证书已过有效期限"]
_BIDS = [
    ("招标项目编号", lambda rng, row, k: f"XM-2023-{k // 6:03d}"),
    ("投标单位名称", lambda rng, row, k: company(rng)),
    ("投标单位信用代码", lambda rng, row, k: uscc(rng)),
    ("投标金额", lambda rng, row, k: f"{rng.randint(100000, 900000)}.00"),
    ("经手", lambda rng, row, k: f"{person(rng)}-{rng.randint(1, 60):04d}"),
    ("复核批注", lambda rng, row, k: rng.choice(_REASONS) if k % 7 == 0 else ""),
]


def test_free_text_columns_left_over_take_the_fields_left_over() -> None:
    """Two columns whose headers say nothing the catalogue knows: one of persons' names
    (written with a staff number), one of phrases. Once every other column is placed, the
    bid list has one field left for a person (the bid file's author) and one for a phrase
    (the reason for disqualification): each column takes the one of its shape."""
    p = _propose(_BIDS)
    assert p.mapping is not None and p.mapping.dataset == "bids", p.reason
    assert p.mapping.columns["经手"] == "file_creator"
    assert p.mapping.columns["复核批注"] == "disqualify_reason"
    assert "其余列定位后补位" in p.evidence["经手"].describe()


def test_two_columns_of_one_shape_left_over_are_left_unplaced() -> None:
    """Two columns of names left over for one field: nothing says which, neither is placed."""
    extra = ("登记员", lambda rng, row, k: f"{person(rng)}{rng.randint(1, 9):02d}")
    p = _propose([*_BIDS, extra])
    assert p.mapping is not None, p.reason
    assert p.mapping.columns["经手"] is None and p.mapping.columns["登记员"] is None


def test_a_remarks_column_is_never_placed_by_its_values() -> None:
    columns = [c for c in _BIDS if c[0] != "复核批注"]
    columns.append(("备注", lambda rng, row, k: rng.choice(_REASONS)))
    p = _propose(columns)
    assert p.mapping is not None, p.reason
    assert p.mapping.columns["备注"] is None


def test_names_with_a_staff_number_are_persons() -> None:
    prof = profile_samples({"x": ["张伟-0012", "李娜01", "王秀英_7", "刘洋#0003", "陈静"]})["x"]
    assert prof.share("person") == 1.0
    plain = profile_samples({"y": ["第一小组", "甲方单位", "2023-01", "A-0012", "某某0012号"]})["y"]
    assert plain.share("person") == 0.0


# ----------------------------------------------------------------- kind beside its field
_PLACES = ["龙山镇石门村", "城关街道河西社区", "云台山风景名胜区", "新华路18号县政府"]
_TRIPS = [
    ("派遣序号", lambda rng, row, k: f"PC{k:06d}"),
    ("车牌号码", lambda rng, row, k: f"贵J{rng.randint(10000, 99999)}"),
    (
        "发车时刻",
        lambda rng, row, k: f"{_day(rng)} {rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00",
    ),
    ("抵达处", lambda rng, row, k: rng.choice(_PLACES)),
    ("抵达处类别", lambda rng, row, k: "景点" if "风景" in row["抵达处"] else "乡村"),
]


def test_a_column_headed_like_its_neighbour_and_a_kind_word_is_its_kind() -> None:
    """抵达处 is placed as the destination by its places (the one place field left); the
    column headed 抵达处 and 类别 is then the kind of destination."""
    p = _propose(_TRIPS)
    assert p.mapping is not None and p.mapping.dataset == "official_car_trips", p.reason
    assert p.mapping.columns["抵达处"] == "destination"
    assert p.mapping.columns["抵达处类别"] == "destination_type"


# ----------------------------------------------------------------- enum marked by emptiness
def test_a_wording_whose_rows_leave_the_reply_empty_is_in_hand() -> None:
    status = get_dataset("complaints").field("status")
    done = Wording("已了结", 40, {"replied_at": 40}, False)
    open_ = Wording("跟进中", 6, {"replied_at": 0}, False)
    assert infer_values(status, [done, open_]) == {
        "跟进中": ("handling", "implied_by_empty:replied_at")
    }
    # Both wordings leave the reply empty in good part: nothing is settled.
    half = Wording("已了结", 40, {"replied_at": 20}, False)
    assert infer_values(status, [half, open_]) == {}
    # No reply column in the file: nothing to read.
    assert (
        infer_values(status, [Wording("已了结", 40, {}, False), Wording("跟进中", 6, {}, False)])
        == {}
    )


@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def test_tickets_in_hand_are_found_by_their_empty_reply(ws: Settings, tmp_path: Path) -> None:
    rows = [["工单编号", "受理时间", "诉求内容", "答复时间", "答复内容", "办理状态"]]
    for k in range(30):
        closed = k % 5 != 0
        rows.append(
            [
                f"GD{k:05d}",
                f"2024-03-{1 + k % 28:02d} 09:{k:02d}:00",
                "反映小区路灯长期不亮影响夜间出行",
                f"2024-04-{1 + k % 28:02d} 10:00:00" if closed else "",
                "已协调供电所完成维修" if closed else "",
                "已了结" if closed else "跟进中",
            ]
        )
    src = write_csv(tmp_path / "in" / "工单.csv", rows)
    report = ingest_path(ws, src, assume_yes=True, dataset="complaints")
    (source,) = report.sources
    assert source.inferred_values == {
        "status": {"跟进中": "handling (implied_by_empty:replied_at)"}
    }
    got = dict(connect(ws).execute("SELECT status, count(*) FROM complaints GROUP BY 1").fetchall())
    assert got == {"other": 24, "handling": 6}


def test_the_one_name_column_is_the_person_whose_id_the_table_carries() -> None:
    """A column of persons' names far from the ID column, under a header that names no field:
    the one name left is the name of the person whose ID is placed. A second name column
    leaves both open."""
    columns = [
        ("当事人", lambda rng, row, k: person(rng)),
        ("死亡日期", lambda rng, row, k: str(_day(rng))),
        ("停保时间", lambda rng, row, k: str(_day(rng, "2024-06-01", 100))),
        ("公民证件号", lambda rng, row, k: resident_id(rng)),
    ]
    p = _propose(columns, "医保局_停保名单.csv")
    assert p.mapping is not None and p.mapping.dataset == "deaths", p.reason
    assert p.mapping.columns["当事人"] == "name"
    extra = ("经办", lambda rng, row, k: person(rng))
    two = _propose([*columns[:2], extra, *columns[2:]], "医保局_停保名单.csv")
    assert two.draft is not None
    assert two.draft.columns["当事人"] is None and two.draft.columns["经办"] is None
