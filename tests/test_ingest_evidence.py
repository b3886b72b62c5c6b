"""Recognition from evidence: files whose headers the catalogue has never seen.

Each case is a table as another system would export it — department wordings that are not
catalogue synonyms, national data-element codes (pinyin initials), English column names, and
headers that say nothing (列1, col_3) so the values alone must decide. None of these wordings is in
the catalogue (a test asserts it): recognition has to derive them from the catalogue's own names,
its English names and the values.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from ingest_helpers import write_csv
from qingfeng.dataspec import load_catalogue, normalise_header
from qingfeng.ingest import ingest_path
from qingfeng.ingest.header_match import header_match, initials
from qingfeng.ingest.mapping import propose
from qingfeng.ingest.profile import profile_samples
from qingfeng.settings import Settings
from qingfeng.workspace import init_workspace
from recognise_data import (
    amount,
    company,
    date,
    digits,
    person,
    phone,
    plate,
    resident_id,
    samples,
    table,
    timestamp,
    uscc,
    vin,
)


def pick(*values: str):  # type: ignore[no-untyped-def]
    return lambda rng: rng.choice(values)


def seq(prefix: str):  # type: ignore[no-untyped-def]
    counter = iter(range(1, 10**6))
    return lambda rng: f"{prefix}{next(counter):06d}"


VEHICLE_TYPES = pick("小型轿车", "小型普通客车", "重型货车", "轻型厢式货车", "二轮摩托车")
VILLAGE_ADDR = pick("贵州省都匀市文峰路12号", "都匀市沙包堡镇红星村3组", "墨冲镇新场村二组15号")

# (case id, expected dataset, [(header, generator, expected field or None)])
CASES = [
    (
        "vehicle-register-wording",
        "vehicles",
        [
            ("号牌号码", plate, "plate_no"),
            ("车辆类型", VEHICLE_TYPES, "vehicle_type"),
            ("所有人", person, "owner_name"),
            ("身份证明号码", resident_id, "owner_id_no"),
            ("初次登记日期", date, "register_date"),
            ("机动车状态", pick("正常", "正常", "报废", "转出"), "status"),
        ],
    ),
    (
        "resettlement-ledger",
        "real_estate",
        [
            ("安置项目", pick("城南安置小区", "河滨安置点", "新城花园安置区"), "project_name"),
            (
                "房号",
                lambda r: f"{r.randint(1, 9)}-{r.randint(1, 4)}-{r.randint(101, 1802)}",
                "property_no",
            ),
            ("安置对象", person, "owner_name"),
            ("身份证号", resident_id, "owner_id_no"),
            ("分配日期", date, "register_date"),
        ],
    ),
    (
        "registry-data-element-codes",
        "household_registry",
        [
            ("GMSFHM", resident_id, "id_no"),
            ("XM", person, "name"),
            ("XB", pick("1", "2"), "gender"),
            ("CSRQ", date, "birth_date"),
            ("MZ", pick("汉族", "苗族", "布依族", "水族"), "ethnicity"),
            ("HH", lambda r: digits(r, 9), "household_no"),
            ("YHZGX", pick("户主", "配偶", "长子", "长女", "孙子"), "relation_to_head"),
            ("ZZ", VILLAGE_ADDR, "address"),
            ("RYZT", pick("正常", "正常", "正常", "死亡", "迁出"), "status"),
            ("LXDH", phone, "phone"),
        ],
    ),
    (
        "vehicles-data-element-codes",
        "vehicles",
        [
            ("HPHM", plate, "plate_no"),
            ("CLSBDH", vin, "vin"),
            ("SFZMHM", resident_id, "owner_id_no"),
            ("SYR", person, "owner_name"),
            ("CLLX", VEHICLE_TYPES, "vehicle_type"),
            ("SYXZ", pick("非营运", "营运", "警用", "出租客运"), "use_type"),
            ("CCDJRQ", date, "register_date"),
            ("ZT", pick("A", "A", "A", "B", "G"), "status"),
        ],
    ),
    (
        "companies-data-element-codes",
        "companies",
        [
            ("TYSHXYDM", uscc, "uscc"),
            ("QYMC", company, "name"),
            ("FDDBR", person, "legal_rep_name"),
            ("ZCZB", lambda r: amount(r, 10, 5000), "registered_capital"),
            ("CLRQ", date, "established_date"),
            ("ZS", VILLAGE_ADDR, "address"),
            ("DJZT", pick("存续", "存续", "注销", "吊销"), "status"),
        ],
    ),
    (
        "subsidy-english",
        "subsidy_payments",
        [
            ("payment_id", seq("PAY2024"), "payment_no"),
            ("id_number", resident_id, "id_no"),
            ("full_name", person, "name"),
            (
                "subsidy_kind",
                pick("高龄津贴", "残疾人两项补贴", "耕地地力保护补贴"),
                "subsidy_type",
            ),
            ("pay_month", pick("2024-05", "2024-06"), "period"),
            ("paid_on", date, "pay_date"),
            ("amount_yuan", amount, "amount"),
            ("bank_card", lambda r: "6228" + digits(r, 15), "account_no"),
        ],
    ),
    (
        "vehicles-english-camel",
        "vehicles",
        [
            ("plateNumber", plate, "plate_no"),
            ("VIN", vin, "vin"),
            ("ownerIdNumber", resident_id, "owner_id_no"),
            ("ownerName", person, "owner_name"),
            ("vehicleType", VEHICLE_TYPES, "vehicle_type"),
            ("registrationDate", date, "register_date"),
        ],
    ),
    (
        "payroll-wording",
        "public_payroll",
        [
            ("身份证件号", resident_id, "id_no"),
            ("员工姓名", person, "name"),
            ("统一信用代码", uscc, "org_uscc"),
            ("任职单位", pick("县教育局", "县财政局", "县第一中学"), "org_name"),
            ("岗位名称", pick("科员", "副局长", "教师"), "position"),
            ("入编时间", date, "start_date"),
            ("应发合计", amount, "monthly_salary"),
        ],
    ),
    (
        "payments-batch-and-fund-name",
        "subsidy_payments",
        [
            ("公民身份证件号", resident_id, "id_no"),
            ("领款人姓名", person, "name"),
            ("资金名称", pick("高龄补贴", "残疾人生活补贴"), "subsidy_type"),
            ("发放批次", pick("202312", "202401"), "period"),
            ("实发数（元）", amount, "amount"),
            ("一卡通号", lambda r: "6230" + digits(r, 15), "account_no"),
        ],
    ),
    (
        "receptions-wording",
        "official_receptions",
        [
            ("接待日期", date, "reception_date"),
            ("接待对象", pick("省调研组", "市检查组"), None),
            ("用餐地点", pick("县机关食堂", "某某大酒店"), "venue"),
            ("陪餐人数", lambda r: str(r.randint(1, 5)), "staff"),
            ("客人人数", lambda r: str(r.randint(2, 10)), "guests"),
            ("实际消费额", amount, "total_cost"),
        ],
    ),
    (
        "medical-english",
        "medical_claims",
        [
            ("settlement_no", seq("JS"), "claim_no"),
            ("id_card", resident_id, "id_no"),
            ("patient_name", person, "name"),
            ("hospital", pick("县人民医院", "县中医院", "某某镇卫生院"), "hospital"),
            ("admission_date", date, "admission_date"),
            ("discharge_date", date, "discharge_date"),
            ("total_cost", amount, "amount"),
            ("fund_paid", amount, "fund_paid"),
        ],
    ),
    (
        "companies-english",
        "companies",
        [
            ("credit_code", uscc, "uscc"),
            ("company_name", company, "name"),
            ("legal_person", person, "legal_rep_name"),
            ("reg_capital", amount, "registered_capital"),
            ("established", date, "established_date"),
            ("address", VILLAGE_ADDR, "address"),
            ("status", pick("存续", "注销"), "status"),
        ],
    ),
    (
        "bank-meaningless-headers",
        "bank_transactions",
        [
            ("列1", seq("T2024"), "txn_id"),
            ("列2", lambda r: "6217" + digits(r, 15), "account_no"),
            ("列3", resident_id, "holder_id_no"),
            ("列4", timestamp, "txn_time"),
            ("列5", amount, "amount"),
            ("列6", pick("借", "贷"), "direction"),
        ],
    ),
    (
        "vehicles-meaningless-headers",
        "vehicles",
        [
            ("col_1", plate, "plate_no"),
            ("col_2", vin, "vin"),
            ("col_3", resident_id, "owner_id_no"),
            ("col_4", person, "owner_name"),
            ("col_5", date, "register_date"),
        ],
    ),
]


NOT_ASKED_TO_BE_CONFIDENT = {"subsidy-english", "vehicles-meaningless-headers"}


def _proposal(columns, dataset=None, seed=1):  # type: ignore[no-untyped-def]
    t = table([(h, g) for h, g, _ in columns], seed=seed)
    headers, values = samples(t)
    return propose(headers, "export.csv", dataset, values)


def test_no_test_wording_is_a_catalogue_synonym() -> None:
    """The cases measure generalisation only if their headers are not in the catalogue's lists
    of synonyms (a field's own Chinese name and identifier are its definition, not a list of
    wordings; the department wordings quoted by the issue that the catalogue already had are
    exempt)."""
    synonyms = {
        normalise_header(h) for spec in load_catalogue().values() for f in spec.fields
        for h in f.synonyms
    }  # fmt: skip
    quoted = {"号牌号码", "车辆类型", "所有人", "初次登记日期", "机动车状态", "安置项目",
              "安置对象", "身份证号", "分配日期", "发放批次", "vin"}  # fmt: skip
    for _, _, columns in CASES:
        for h, _, _ in columns:
            assert normalise_header(h) not in synonyms or normalise_header(h) in quoted, h


@pytest.mark.parametrize(("case", "dataset", "columns"), CASES, ids=[c[0] for c in CASES])
def test_unseen_headers_are_recognised(case: str, dataset: str, columns) -> None:  # type: ignore[no-untyped-def]
    proposal = _proposal(columns)
    assert proposal.mapping is not None, proposal.reason
    assert proposal.mapping.dataset == dataset, proposal.candidates
    wrong = {
        h: proposal.mapping.columns.get(h)
        for h, _, want in columns
        if proposal.mapping.columns.get(h) != want
    }
    assert not wrong, {h: proposal.evidence.get(h) for h in wrong}
    # Each mapped column says why: a person sees the header evidence and the values.
    for h, _, want in columns:
        if want is None:
            assert h not in proposal.evidence
        else:
            assert proposal.evidence[h].field == want and proposal.evidence[h].describe()
    # Clear evidence: `qingfeng ingest --yes` would take it without asking. (English words
    # that only half match and values alone can leave a close runner-up: a person confirms.)
    if case not in NOT_ASKED_TO_BE_CONFIDENT:
        assert proposal.confident, proposal.doubts


def test_data_element_codes_are_derived_from_pinyin_initials() -> None:
    specs = load_catalogue()
    assert initials("公民身份号码") == "gmsfhm"
    m = header_match("GMSFHM", specs["household_registry"].field("id_no"))
    assert (m.kind, m.via) == ("pinyin", "公民身份号码")
    # An ending of a longer wording: SFZMHM is 身份证明号码 of 所有人身份证明号码.
    m = header_match("SFZMHM", specs["vehicles"].field("owner_id_no"))
    assert m.kind == "pinyin" and m.via == "身份证明号码" and 0.5 < m.score < 0.95
    assert not header_match("SFZMHM", specs["vehicles"].field("plate_no"))


def test_values_decide_the_type_whatever_the_header_says() -> None:
    """A column headed like a name but holding ID numbers is not put on the name field."""
    columns = [
        ("证件号码", resident_id, "id_no"),
        ("姓名", resident_id, None),
        ("户籍状态", pick("正常", "迁出"), "status"),
        ("出生日期", date, "birth_date"),
    ]
    proposal = _proposal(columns, dataset="household_registry")
    assert proposal.draft is not None
    assert proposal.draft.columns["姓名"] != "name"


def test_header_decides_the_role_among_fields_of_one_type() -> None:
    tenders = [
        ("招标编号", seq("ZB"), "tender_no"),
        ("公告发出日期", date, "announce_date"),
        ("中标结果公示日期", date, "award_date"),
        ("开标时间", date, "deadline_date"),
    ]
    proposal = _proposal(tenders, dataset="tenders")
    assert proposal.mapping is not None
    got = {h: proposal.mapping.columns[h] for h, _, _ in tenders}
    assert got == {h: f for h, _, f in tenders}


def test_a_name_beside_an_id_column_is_the_same_persons() -> None:
    """Two person columns and meaningless headers: the name next to the owner's ID is the
    owner's."""
    columns = [
        ("c1", plate, "plate_no"),
        ("c2", person, "owner_name"),
        ("c3", resident_id, "owner_id_no"),
        ("c4", date, "register_date"),
    ]
    proposal = _proposal(columns, dataset="vehicles")
    assert proposal.mapping is not None
    assert proposal.evidence["c2"].field == "owner_name" and proposal.evidence["c2"].neighbour


def test_a_roster_that_fits_two_datasets_reports_both() -> None:
    """A member roster repeating its household's columns: both datasets are reported, nothing
    is accepted without a person, and either dataset can be proposed when asked for."""
    columns = [
        ("救助证号", seq("DB2024"), None),
        ("申请人", person, None),
        ("申请人身份证号", resident_id, None),
        ("月救助金（元）", amount, None),
        ("家庭成员", person, None),
        ("成员证件号", resident_id, None),
        ("与申请人关系", pick("本人", "配偶", "子", "女"), None),
    ]
    proposal = _proposal(columns)
    named = {proposal.mapping.dataset if proposal.mapping else None, *proposal.also,
             *proposal.rivals}  # fmt: skip
    assert {"dibao_households", "dibao_members"} <= named, proposal.reason
    assert not proposal.confident
    households = _proposal(columns, dataset="dibao_households").mapping
    members = _proposal(columns, dataset="dibao_members").mapping
    assert households is not None and households.columns["申请人身份证号"] == "head_id_no"
    assert members is not None and members.columns["成员证件号"] == "id_no"
    assert members.columns["与申请人关系"] == "relation_to_head"


def test_a_bid_opening_record_names_the_tender_columns_it_repeats() -> None:
    columns = [
        ("项目编号", seq("ZB"), "tender_no"),
        ("项目名称", pick("道路硬化工程", "学校改造项目"), None),
        ("预算金额", amount, None),
        ("投标单位", company, "bidder_name"),
        ("投标单位信用代码", uscc, "bidder_uscc"),
        ("投标报价", amount, "bid_price"),
        ("联系人", person, "contact_name"),
    ]
    proposal = _proposal(columns)
    assert proposal.mapping is not None and proposal.mapping.dataset == "bids"
    assert proposal.also == ("tenders",) and not proposal.confident
    assert any("项目名称" in d and "预算金额" in d for d in proposal.doubts)
    assert {h: proposal.mapping.columns[h] for h, _, _ in columns} == {h: f for h, _, f in columns}


def test_headers_and_values_that_fit_nothing_are_unrecognised() -> None:
    columns = [
        ("水果", pick("苹果", "香蕉", "梨"), None),
        ("颜色", pick("红", "黄", "绿"), None),
    ]
    proposal = _proposal(columns)
    assert proposal.mapping is None and not proposal.confident
    assert "unrecognised" in proposal.reason


def test_forced_dataset_names_the_missing_field_and_the_headers_that_might_fill_it() -> None:
    columns = [
        ("姓名", person, "name"),
        ("证件", pick("身份证遗失", "待补录"), None),
        ("去世日期", date, "death_date"),
    ]
    proposal = _proposal(columns, dataset="deaths")
    assert proposal.mapping is None
    assert "id_no" in proposal.reason and "证件" in proposal.reason
    assert proposal.gaps["id_no"][0] == "证件"
    assert proposal.draft is not None and proposal.draft.columns["姓名"] == "name"


def test_profile_reads_types_from_values() -> None:
    rng = random.Random(3)
    p = profile_samples(
        {
            "ids": [resident_id(rng) for _ in range(50)],
            "plates": [plate(rng) for _ in range(50)],
            "codes": [uscc(rng) for _ in range(50)],
            "names": [person(rng) for _ in range(50)],
            "orgs": [company(rng) for _ in range(50)],
            "stamps": [timestamp(rng) for _ in range(50)],
            "periods": ["202312", "2023-12", "2023年12月", "2024.01"] * 5,
            "yes_no": ["是", "否"] * 10,
            "empty": [],
        }
    )
    assert p["ids"].share("id") == 1.0
    assert p["plates"].share("plate") == 1.0
    assert p["codes"].share("uscc") == 1.0
    assert p["names"].share("person") == 1.0 and p["names"].share("org") == 0.0
    assert p["orgs"].share("org") == 1.0 and p["orgs"].share("person") == 0.0
    assert p["stamps"].share("time") == 1.0
    assert p["periods"].share("period") == 1.0 and p["periods"].share("date") == 0.0
    assert p["yes_no"].share("yes_no") == 1.0 and p["yes_no"].small_set
    assert p["empty"].n == 0


# ---------------------------------------------------------------- the CLI's --yes and drafts
@pytest.fixture
def ws(tmp_path: Path) -> Settings:
    return init_workspace(tmp_path / "ws")


def test_yes_ingests_a_confident_file_of_unseen_headers(ws: Settings, tmp_path: Path) -> None:
    _, _, columns = CASES[3]  # vehicles as data-element codes
    t = table([(h, g) for h, g, _ in columns], rows=40, seed=5)
    src = ingest_path(ws, write_csv(tmp_path / "jdc.csv", t), assume_yes=True).sources[0]
    assert (src.status, src.dataset, src.rows_read) == ("loaded", "vehicles", 40), src.message


def test_yes_does_not_accept_an_uncertain_file_and_writes_a_draft(
    ws: Settings, tmp_path: Path
) -> None:
    roster = [
        ("救助证号", seq("DB2024")),
        ("申请人", person),
        ("申请人身份证号", resident_id),
        ("家庭成员", person),
        ("成员证件号", resident_id),
        ("与申请人关系", pick("本人", "配偶", "子", "女")),
    ]
    path = write_csv(tmp_path / "名单.csv", table(roster, rows=30))
    src = ingest_path(ws, path, assume_yes=True).sources[0]
    assert src.status in ("awaiting_confirmation", "unrecognised"), src.message
    assert not (ws.lake_dir / "_catalogue.json").exists()
    draft = Path(src.mapping_file or "")
    text = draft.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["confirmed"] is False
    # The evidence and the doubts are in the draft, as comments for the person who checks it.
    assert "# 识别依据 / how it was recognised:" in text and "dibao_members" in text
    assert "成员证件号" in text
    # A second --yes run does not accept the draft either.
    again = ingest_path(ws, path, assume_yes=True).sources[0]
    assert again.status in ("awaiting_confirmation", "unrecognised")
    assert not (ws.lake_dir / "_catalogue.json").exists()


def test_a_passive_header_is_not_the_active_role() -> None:
    """被信访人 is whom a petition is about, not who made it."""
    complaints = load_catalogue()["complaints"]
    passive = header_match("被信访人", complaints.field("complainant_name")).score
    assert passive < header_match("信访人", complaints.field("complainant_name")).score / 1.5


def test_organisation_names_and_long_text_need_only_part_of_the_wording() -> None:
    """Values of a kind of their own (organisation names, long passages) settle a text field
    whose wording the header shares only in part: 投标方 holding companies is the bidder, not
    the contact person (a name field that would take them too), and a column of long passages
    headed 反映详情 is the complaint's content."""
    bids = [
        ("项目编号", seq("ZB"), "tender_no"),
        ("投标方", company, "bidder_name"),
        ("投标方信用代码", uscc, "bidder_uscc"),
        ("报价（元）", amount, "bid_price"),
    ]
    proposal = _proposal(bids, dataset="bids")
    assert proposal.mapping is not None
    assert proposal.mapping.columns["投标方"] == "bidder_name", proposal.evidence.get("投标方")

    def passage(rng: random.Random) -> str:
        words = "村里道路损坏多处群众出行不便请尽快安排维修并答复"
        return "".join(rng.choice(words) for _ in range(40))

    letters = [
        ("来信编号", seq("XF"), "complaint_no"),
        ("来信时间", timestamp, "received_at"),
        ("反映详情", passage, "content"),
    ]
    proposal = _proposal(letters, dataset="complaints")
    assert proposal.mapping is not None, proposal.reason
    assert proposal.mapping.columns["反映详情"] == "content"
    # The same passages under a header that shares nothing with the field stay unplaced.
    unrelated = [*letters[:2], ("备注栏", passage, None)]
    proposal = _proposal(unrelated, dataset="complaints")
    assert (proposal.mapping or proposal.draft).columns["备注栏"] is None


def test_wordings_of_a_vocabulary_place_their_column_whatever_the_header() -> None:
    """A column of subsidy wordings the subsidy vocabulary names (by spelling or key terms)
    is the subsidy type even under a header that says nothing of it; the same header over
    words no vocabulary knows is left unplaced."""
    kinds = pick(
        "高龄老人补贴", "城乡低保金", "残疾人护理补贴（重度）", "农业机械购置补贴", "临时救助金"
    )
    columns = [
        ("支付编号", seq("ZF"), "payment_no"),
        ("身份证号", resident_id, "id_no"),
        ("姓名", person, "name"),
        ("款项内容", kinds, "subsidy_type"),
        ("支付日期", date, "pay_date"),
        ("金额", amount, "amount"),
    ]
    proposal = _proposal(columns, dataset="subsidy_payments")
    assert proposal.mapping is not None
    assert proposal.mapping.columns["款项内容"] == "subsidy_type", proposal.evidence
    plain = [*columns[:3], ("款项内容", pick("甲", "乙", "丙"), None), *columns[4:]]
    proposal = _proposal(plain, dataset="subsidy_payments")
    assert (proposal.mapping or proposal.draft).columns["款项内容"] is None


def test_a_required_source_shared_in_good_part_by_a_header_is_taken() -> None:
    """A deaths list named by neither its file name nor a column: a header sharing more than
    half of one source's wording (出具医学证明单位 ~ 死亡医学证明) names the source; a word
    sharing only a common part (死亡 of 死亡注销) names nothing."""
    columns = [
        ("身份证号", resident_id, "id_no"),
        ("姓名", person, "name"),
        ("死亡日期", date, "death_date"),
        ("出具医学证明单位", pick("县人民医院", "县中医院"), None),
    ]
    t = table([(h, g) for h, g, _ in columns])
    headers, values = samples(t)
    proposal = propose(headers, "居民死亡名单.csv", "deaths", values)
    assert proposal.mapping is not None, proposal.reason
    assert proposal.mapping.constants == {"source": "hospital"}
    proposal = propose(headers[:3], "居民死亡名单.csv", "deaths", values)
    assert proposal.mapping is None or "source" not in proposal.mapping.constants


def test_a_dataset_lacking_most_of_its_required_fields_does_not_hold_back_a_complete_one() -> None:
    """Only a dataset filling at least half of its required fields (and groups) is reported
    as "looks like X but lacks Y" over a complete one: a bank statement filled only by a
    number that could be a transaction number is not; a claims list lacking only its
    settlement number is."""
    from qingfeng.ingest.mapping import _mostly_filled
    from qingfeng.ingest.recognise import Fit

    specs = load_catalogue()

    def fit(dataset: str, missing: list[str]) -> Fit:
        return Fit(dataset, 1.0, {}, {}, missing, {})

    assert not _mostly_filled(
        specs["bank_transactions"],
        fit("bank_transactions", ["account_no", "txn_time", "amount", "direction"]),
    )
    assert _mostly_filled(specs["medical_claims"], fit("medical_claims", ["claim_no"]))
    # deaths: id_no, source and one of death_date | record_date; only the source missing.
    assert _mostly_filled(specs["deaths"], fit("deaths", ["source"]))
    assert not _mostly_filled(specs["deaths"], fit("deaths", ["source", "id_no"]))


def test_two_money_words_are_one_ending_and_the_words_before_them_decide() -> None:
    """价 and 金额 both say "a sum of money", which the values tell: 合同价 is the contract
    (winning) amount, 预算价 the budget; a price per unit (单价) stays apart from a total."""
    tenders = load_catalogue()["tenders"]
    winning = tenders.field("winning_price")
    assert header_match("合同价", winning).score >= 0.8
    budget = tenders.field("budget")
    assert header_match("预算价", budget).score >= 0.8 > header_match("预算价", winning).score
    canteen = load_catalogue()["canteen_purchases"]
    assert header_match("采购单价", canteen.field("amount")).score < 0.5
    columns = [
        ("项目编号", seq("ZB"), "tender_no"),
        ("采购人", company, "buyer_name"),
        ("预算金额", lambda rng: amount(rng, 100000, 900000), "budget"),
        ("中标人", company, "winner_name"),
        ("中标人统一社会信用代码", uscc, "winner_uscc"),
        ("合同价（元）", lambda rng: amount(rng, 50000, 800000), "winning_price"),
    ]
    proposal = _proposal(columns, dataset="tenders")
    mapping = proposal.mapping or proposal.draft
    assert mapping.columns["合同价（元）"] == "winning_price", proposal.evidence.get("合同价（元）")
