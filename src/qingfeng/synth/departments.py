"""Each department file the synthetic county writes: its name, format, encoding and columns.

Every column pairs the department's own header (what the clerk typed) with the standard field it
carries — `dataset.field` as in docs/architecture.md — or None for columns with no standard field
(serial numbers, ages, clerk names...). `header_synonyms()` turns the table into the list the
ingest mapper can learn from.

Column kinds drive the rendering and the mess: `id` (resident ID), `uscc` (credit code), `name`
(person name), `date`, `time` (date and time), `period` (month, written YYYYMM), `money` (yuan),
`money_wan` (万元, 10,000 yuan), `code` (division codes, numbers, accounts) and `text`. Other
systems' renderings (`qingfeng.synth.styles`) add `period_cn` (2023年12月), `period_dot` (2023.12),
`percent` (a percentage written 60%) and `fraction` (the same as 0.6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "id",
    "uscc",
    "name",
    "date",
    "time",
    "period",
    "period_cn",
    "period_dot",
    "money",
    "money_wan",
    "percent",
    "fraction",
    "code",
    "text",
]


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None
    kind: Kind = "text"


@dataclass(frozen=True)
class Mess:
    """Proportions of messy cells and rows in one file (fractions of its data rows).

    ID cells: `id15` are rendered in the old 15-digit form (only people born 19xx qualify),
    `fullwidth` in full-width digits, `lower_x` is the fraction of X-final IDs written with a
    lower-case x, `id_space` get a stray leading or trailing space. Names: `traditional` are written
    in traditional characters (only names that differ qualify), `name_space` get a stray space.
    `duplicates` rows are exact copies of another row; `invalid` rows must be rejected, by reason.
    Every file (every chunk of a large one) has at least one duplicate and one row per reason.
    """

    id15: float = 0.02
    fullwidth: float = 0.01
    lower_x: float = 0.5
    id_space: float = 0.01
    traditional: float = 0.03
    name_space: float = 0.02
    duplicates: float = 0.005
    invalid: dict[str, float] = field(
        default_factory=lambda: {
            "bad_check_digit": 0.001,
            "impossible_date": 0.001,
            "empty_key": 0.001,
        }
    )


@dataclass(frozen=True)
class FileSpec:
    key: str  # short English key used in code and truth
    file_name: str
    dataset: str  # standard dataset id (docs/architecture.md)
    department: str
    fmt: Literal["csv", "xlsx"]
    encoding: str | None  # CSV only: "gb18030" or "utf-8-sig"
    columns: tuple[Column, ...]
    key_field: str  # the standard field whose emptiness or bad check digit rejects a row
    date_field: str  # the date (or time) column planted impossible dates go into ("" if none)
    date_mix: dict[str, float]  # share of each date format (dates.FORMATS) in this file
    constants: dict[str, str] = field(default_factory=dict)  # fields fixed by the file
    mess: Mess = field(default_factory=Mess)

    def column(self, field_name: str) -> Column:
        for c in self.columns:
            if c.field == field_name:
                return c
        raise KeyError(f"{self.key}: no column for field {field_name}")


C = Column
ID_INVALID = {"bad_check_digit": 0.001, "impossible_date": 0.001, "empty_key": 0.001}
NO_CHECK_INVALID = {"impossible_date": 0.001, "empty_key": 0.001}


def _spec(**kw: object) -> FileSpec:
    invalid = kw.pop("invalid", None)
    if invalid is not None:
        kw["mess"] = Mess(invalid=dict(invalid))  # type: ignore[call-overload]
    return FileSpec(**kw)  # type: ignore[arg-type]


REGISTRY = _spec(
    key="registry",
    file_name="公安局_户籍人口信息.csv",
    dataset="household_registry",
    department="公安局户政科",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("公民身份号码", "id_no", "id"),
        C("姓名", "name", "name"),
        C("性别", "gender"),
        C("民族", None),
        C("出生日期", "birth_date", "date"),
        C("户号", "household_no", "code"),
        C("与户主关系", "relation_to_head"),
        C("住址", "address"),
        C("行政区划代码", "division_code", "code"),
        C("人员状态", "status"),
        C("死亡日期", "registry_death_date", "date"),
        C("迁出日期", None),
        C("联系电话", "phone", "code"),
        C("户别", "household_type"),
    ),
    key_field="id_no",
    date_field="birth_date",
    date_mix={"compact": 0.85, "iso": 0.15},
)

CREMATION = _spec(
    key="cremation",
    file_name="殡仪馆_火化记录.csv",
    dataset="deaths",
    department="民政局殡葬管理所",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("火化证编号", None, "code"),
        C("死者姓名", "name", "name"),
        C("性别", None),
        C("身份证号码", "id_no", "id"),
        C("年龄", None),
        C("死亡日期", "death_date", "date"),
        C("火化日期", "record_date", "date"),
        C("户籍地址", None),
    ),
    key_field="id_no",
    date_field="death_date",
    date_mix={"iso": 0.6, "cn": 0.3, "slash": 0.1},
    constants={"source": "cremation"},
)

HOSPITAL_DEATHS = _spec(
    key="hospital_deaths",
    file_name="卫健局_死亡医学证明.csv",
    dataset="deaths",
    department="卫生健康局",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("证明编号", None, "code"),
        C("死者姓名", "name", "name"),
        C("身份证件号码", "id_no", "id"),
        C("死亡时间", "death_date", "date"),
        C("死亡地点", None),
        C("填报日期", "record_date", "date"),
    ),
    key_field="id_no",
    date_field="death_date",
    date_mix={"cn": 0.7, "compact": 0.3},
    constants={"source": "hospital"},
)

INSURANCE_DEATHS = _spec(
    key="insurance_deaths",
    file_name="医保局_参保人员死亡名单.csv",
    dataset="deaths",
    department="医疗保障局",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("个人编号", None, "code"),
        C("身份证号", "id_no", "id"),
        C("姓名", "name", "name"),
        C("死亡日期", "death_date", "date"),
        C("停保日期", "record_date", "date"),
    ),
    key_field="id_no",
    date_field="death_date",
    date_mix={"compact": 0.6, "iso": 0.4},
    constants={"source": "medical_insurance"},
)

PAYROLL = _spec(
    key="payroll",
    file_name="财政局_财政供养人员名册.xlsx",
    dataset="public_payroll",
    department="财政局",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("序号", None),
        C("身份证号", "id_no", "id"),
        C("姓名", "name", "name"),
        C("单位统一社会信用代码", "org_uscc", "uscc"),
        C("单位名称", "org_name"),
        C("职务", "position"),
        C("人员类别", "staff_type"),
        C("入职日期", "start_date", "date"),
        C("离职日期", "end_date", "date"),
        C("月应发工资（元）", "monthly_salary", "money"),
    ),
    key_field="id_no",
    date_field="start_date",
    date_mix={"iso": 0.8, "slash": 0.2},
)

DIBAO_HOUSEHOLDS = _spec(
    key="dibao_households",
    file_name="民政局_低保家庭.csv",
    dataset="dibao_households",
    department="民政局社会救助科",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("低保证号", "case_no", "code"),
        C("户主身份证号", "head_id_no", "id"),
        C("户主姓名", None, "name"),
        C("户号", "household_no", "code"),
        C("所在村居代码", "division_code", "code"),
        C("保障人数", None),
        C("保障起始日期", "start_date", "date"),
        C("保障终止日期", "end_date", "date"),
        C("月保障金额（元）", "monthly_amount", "money"),
    ),
    key_field="head_id_no",
    date_field="start_date",
    date_mix={"cn": 0.5, "iso": 0.5},
)

DIBAO_MEMBERS = _spec(
    key="dibao_members",
    file_name="民政局_低保成员.csv",
    dataset="dibao_members",
    department="民政局社会救助科",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("低保证号", "case_no", "code"),
        C("成员身份证号", "id_no", "id"),
        C("成员姓名", "name", "name"),
        C("与户主关系", "relation_to_head"),
    ),
    key_field="id_no",
    date_field="",
    date_mix={"iso": 1.0},
    invalid={"bad_check_digit": 0.001, "empty_key": 0.001},
)

PAYMENTS = _spec(
    key="payments",
    file_name="民政局_补贴发放明细.xlsx",
    dataset="subsidy_payments",
    department="民政局社会救助科（一卡通）",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("发放流水号", "payment_no", "code"),
        C("证件号码", "id_no", "id"),
        C("领取人", "name", "name"),
        C("补贴项目", "subsidy_type"),
        C("发放年月", "period", "period"),
        C("发放日期", "pay_date", "date"),
        C("发放金额（元）", "amount", "money"),
        C("银行账号", "account_no", "code"),
        C("所属村（社区）", "division_code", "code"),
        C("审批人身份证号", "approver_id_no", "id"),
        C("农机出厂编号", "machine_serial", "code"),
    ),
    key_field="id_no",
    date_field="pay_date",
    date_mix={"slash": 0.7, "iso": 0.2, "cn": 0.1},
)

DISABILITY = _spec(
    key="disability",
    file_name="残联_残疾人证.csv",
    dataset="disability_certificates",
    department="残疾人联合会",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("残疾人证号", "cert_no", "code"),
        C("姓名", "name", "name"),
        C("身份证号", "id_no", "id"),
        C("残疾类别", None),
        C("残疾等级", "level"),
        C("发证日期", "issue_date", "date"),
        C("有效期至", "valid_until", "date"),
        C("证件状态", "status"),
    ),
    key_field="id_no",
    date_field="issue_date",
    date_mix={"iso": 0.5, "compact": 0.5},
)

FARM_MACHINERY = _spec(
    key="farm_machinery",
    file_name="农业农村局_农机登记.xlsx",
    dataset="farm_machinery",
    department="农业农村局农机站",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("出厂编号", "serial_no", "code"),
        C("机主身份证号", "owner_id_no", "id"),
        C("机主姓名", "owner_name", "name"),
        C("机具品目", "machine_type"),
        C("登记日期", "register_date", "date"),
    ),
    key_field="owner_id_no",
    date_field="register_date",
    date_mix={"cn": 0.6, "slash": 0.4},
)

VEHICLES = _spec(
    key="vehicles",
    file_name="公安交警_机动车登记.csv",
    dataset="vehicles",
    department="公安局交通警察大队车管所",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("号牌号码", "plate_no", "code"),
        C("车辆识别代号", "vin", "code"),
        C("所有人证件号码", "owner_id_no", "id"),
        C("所有人", "owner_name", "name"),
        C("车辆类型", "vehicle_type"),
        C("使用性质", "use_type"),
        C("初次登记日期", "register_date", "date"),
        C("机动车状态", "status"),
    ),
    key_field="owner_id_no",
    date_field="register_date",
    date_mix={"compact": 0.5, "iso": 0.5},
)

COMPANIES = _spec(
    key="companies",
    file_name="市场监管局_企业登记信息.xlsx",
    dataset="companies",
    department="市场监督管理局",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("统一社会信用代码", "uscc", "uscc"),
        C("企业名称", "name"),
        C("法定代表人证件号码", "legal_rep_id_no", "id"),
        C("法定代表人", "legal_rep_name", "name"),
        C("注册资本（万元）", "registered_capital", "money_wan"),
        C("登记状态", "status"),
        C("成立日期", "established_date", "date"),
        C("注销日期", "cancelled_date", "date"),
        C("住所", "address"),
        C("联系电话", "phone", "code"),
    ),
    key_field="uscc",
    date_field="established_date",
    date_mix={"iso": 0.7, "cn": 0.3},
)

SHAREHOLDERS = _spec(
    key="shareholders",
    file_name="市场监管局_股东及出资信息.csv",
    dataset="shareholders",
    department="市场监督管理局",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("统一社会信用代码", "uscc", "uscc"),
        C("股东证件号码", "shareholder_id_no", "id"),
        C("股东名称", "shareholder_name", "name"),
        C("持股比例（%）", "share_ratio"),
        C("认缴出资额（万元）", "subscribed_capital", "money_wan"),
    ),
    key_field="shareholder_id_no",
    date_field="",
    date_mix={"iso": 1.0},
    invalid={"bad_check_digit": 0.001, "empty_key": 0.001},
)

REAL_ESTATE = _spec(
    key="real_estate",
    file_name="自然资源局_不动产登记.csv",
    dataset="real_estate",
    department="自然资源局不动产登记中心",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("不动产单元号", "property_no", "code"),
        C("权利人证件号", "owner_id_no", "id"),
        C("权利人", "owner_name", "name"),
        C("房屋性质", "property_type"),
        C("项目名称", "project_name"),
        C("坐落", "address"),
        C("建筑面积（㎡）", "area"),
        C("登记日期", "register_date", "date"),
    ),
    key_field="owner_id_no",
    date_field="register_date",
    date_mix={"slash": 0.5, "compact": 0.5},
)

TENDERS = _spec(
    key="tenders",
    file_name="公共资源交易中心_招标项目.xlsx",
    dataset="tenders",
    department="公共资源交易中心",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("项目编号", "tender_no", "code"),
        C("项目名称", "project_name"),
        C("招标人统一社会信用代码", "buyer_uscc", "uscc"),
        C("招标人", "buyer_name"),
        C("预算金额（万元）", "budget", "money_wan"),
        C("招标方式", "method"),
        C("公告发布日期", "announce_date", "date"),
        C("投标截止日期", "deadline_date", "date"),
        C("中标公示日期", "award_date", "date"),
        C("中标单位统一社会信用代码", "winner_uscc", "uscc"),
        C("中标金额（万元）", "winning_price", "money_wan"),
    ),
    key_field="tender_no",
    date_field="announce_date",
    date_mix={"iso": 0.6, "cn": 0.4},
    invalid=NO_CHECK_INVALID,
)

BIDS = _spec(
    key="bids",
    file_name="公共资源交易中心_投标记录.xlsx",
    dataset="bids",
    department="公共资源交易中心",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("项目编号", "tender_no", "code"),
        C("投标人统一社会信用代码", "bidder_uscc", "uscc"),
        C("投标人名称", "bidder_name"),
        C("投标报价（元）", "bid_price", "money"),
        C("是否废标", "disqualified"),
        C("废标原因", "disqualify_reason"),
        C("文件制作人", "file_creator"),
        C("制作机器码", "file_machine_id", "code"),
        C("文件创建时间", "file_created_at", "time"),
        C("联系电话", "contact_phone", "code"),
        C("投标人地址", "address"),
    ),
    key_field="tender_no",
    date_field="file_created_at",
    date_mix={"iso": 0.8, "slash": 0.2},
    invalid=NO_CHECK_INVALID,
)

RECEPTIONS = _spec(
    key="receptions",
    file_name="财政局_公务接待清单.csv",
    dataset="official_receptions",
    department="财政局（公务接待）",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("接待编号", "reception_no", "code"),
        C("接待单位代码", "org_uscc", "uscc"),
        C("接待日期", "reception_date", "date"),
        C("接待地点", "venue"),
        C("场所类型", "venue_type"),
        C("来宾人数", "guests"),
        C("陪同人数", "staff"),
        C("费用合计（元）", "total_cost", "money"),
        C("公函/审批单号", "approval_no", "code"),
    ),
    key_field="reception_no",
    date_field="reception_date",
    date_mix={"slash": 0.6, "iso": 0.4},
    invalid=NO_CHECK_INVALID,
)

CAR_TRIPS = _spec(
    key="car_trips",
    file_name="机关事务局_公车使用记录.csv",
    dataset="official_car_trips",
    department="机关事务管理局",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("派车单号", "trip_no", "code"),
        C("车牌号", "plate_no", "code"),
        C("用车单位代码", "org_uscc", "uscc"),
        C("驾驶员身份证号", "driver_id_no", "id"),
        C("出车时间", "start_time", "time"),
        C("回车时间", "end_time", "time"),
        C("目的地", "destination"),
        C("目的地类型", "destination_type"),
        C("事由", "purpose"),
        C("行驶里程（公里）", "mileage"),
    ),
    key_field="trip_no",
    date_field="start_time",
    date_mix={"iso": 0.7, "slash": 0.3},
    invalid=NO_CHECK_INVALID,
)

CANTEEN = _spec(
    key="canteen",
    file_name="教育局_学校食堂采购台账.csv",
    dataset="canteen_purchases",
    department="教育局",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("采购单号", "purchase_no", "code"),
        C("学校统一社会信用代码", "school_uscc", "uscc"),
        C("学校名称", "school_name"),
        C("采购日期", "purchase_date", "date"),
        C("供应商统一社会信用代码", "supplier_uscc", "uscc"),
        C("品名", "item"),
        C("类别", "category"),
        C("是否高档食材", "premium"),
        C("数量（公斤）", "quantity"),
        C("金额（元）", "amount", "money"),
        C("就餐学生数", "students"),
    ),
    key_field="purchase_no",
    date_field="purchase_date",
    date_mix={"iso": 0.5, "compact": 0.5},
    invalid=NO_CHECK_INVALID,
)

LEDGERS = _spec(
    key="ledgers",
    file_name="农业农村局_村集体财务凭证.csv",
    dataset="village_ledgers",
    department="农业农村局（农村三资监管）",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("凭证号", "voucher_no", "code"),
        C("村代码", "division_code", "code"),
        C("记账日期", "entry_date", "date"),
        C("收款人身份证号", "payee_id_no", "id"),
        C("收款人", "payee_name", "name"),
        C("金额（元）", "amount", "money"),
        C("支付方式", "pay_method"),
        C("用途", "purpose"),
        C("村民代表会议决议编号", "decision_no", "code"),
    ),
    key_field="voucher_no",
    date_field="entry_date",
    date_mix={"cn": 0.5, "slash": 0.5},
    invalid=NO_CHECK_INVALID,
)

MEDICAL = _spec(
    key="medical",
    file_name="医保局_医保结算明细.csv",
    dataset="medical_claims",
    department="医疗保障局",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("结算单号", "claim_no", "code"),
        C("身份证号", "id_no", "id"),
        C("姓名", "name", "name"),
        C("就诊医院", "hospital"),
        C("就诊类型", "claim_type"),
        C("入院日期", "admission_date", "date"),
        C("出院日期", "discharge_date", "date"),
        C("总费用（元）", "amount", "money"),
        C("统筹支付（元）", "fund_paid", "money"),
    ),
    key_field="id_no",
    date_field="admission_date",
    date_mix={"iso": 0.7, "compact": 0.3},
)

BANK = _spec(
    key="bank",
    file_name="银行_账户交易流水.csv",
    dataset="bank_transactions",
    department="农村商业银行（协查）",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("交易流水号", "txn_id", "code"),
        C("账号", "account_no", "code"),
        C("户主证件号", "holder_id_no", "id"),
        C("对方账号", "counterparty_account", "code"),
        C("对方户名", "counterparty_name"),
        C("交易时间", "txn_time", "time"),
        C("交易金额（元）", "amount", "money"),
        C("收支标志", "direction"),
    ),
    key_field="holder_id_no",
    date_field="txn_time",
    date_mix={"iso": 1.0},
)

COMPLAINTS = _spec(
    key="complaints",
    file_name="12345热线_工单.xlsx",
    dataset="complaints",
    department="12345政务服务便民热线",
    fmt="xlsx",
    encoding=None,
    columns=(
        C("工单编号", "complaint_no", "code"),
        C("来电时间", "received_at", "time"),
        C("来电号码", "complainant_phone", "code"),
        C("所属区域代码", "division_code", "code"),
        C("被反映对象", "target_name"),
        C("被反映单位", "target_org"),
        C("问题分类", "category"),
        C("诉求内容", "content"),
        C("答复时间", "replied_at", "time"),
        C("答复内容", "reply"),
        C("办理状态", "status"),
    ),
    key_field="complaint_no",
    date_field="received_at",
    date_mix={"iso": 0.8, "slash": 0.2},
    invalid=NO_CHECK_INVALID,
)

MARRIAGES = _spec(
    key="marriages",
    file_name="民政局_婚姻登记记录.csv",
    dataset="marriage_registrations",
    department="民政局婚姻登记处",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("结婚证字号", "reg_no", "code"),
        C("登记类型", "reg_type"),
        C("登记日期", "reg_date", "date"),
        C("男方身份证号", "husband_id_no", "id"),
        C("男方姓名", "husband_name", "name"),
        C("女方身份证号", "wife_id_no", "id"),
        C("女方姓名", "wife_name", "name"),
        C("婚姻登记机关", "registry_office"),
    ),
    key_field="husband_id_no",
    date_field="reg_date",
    date_mix={"iso": 0.7, "cn": 0.3},
)

BIRTHS = _spec(
    key="births",
    file_name="卫健局_出生医学证明.csv",
    dataset="birth_records",
    department="卫生健康局妇幼科",
    fmt="csv",
    encoding="utf-8-sig",
    columns=(
        C("出生医学证明编号", "cert_no", "code"),
        C("新生儿姓名", "child_name", "name"),
        C("新生儿性别", "child_gender"),
        C("出生日期", "birth_date", "date"),
        C("新生儿身份证号", "child_id_no", "id"),
        C("母亲姓名", "mother_name", "name"),
        C("母亲身份证号", "mother_id_no", "id"),
        C("父亲姓名", "father_name", "name"),
        C("父亲身份证号", "father_id_no", "id"),
        C("助产机构", "institution"),
    ),
    key_field="cert_no",
    date_field="birth_date",
    date_mix={"iso": 1.0},
    invalid=NO_CHECK_INVALID,
)

MOVES = _spec(
    key="moves",
    file_name="公安局_户口迁移分户记录.csv",
    dataset="household_moves",
    department="公安局户政科",
    fmt="csv",
    encoding="gb18030",
    columns=(
        C("公民身份号码", "id_no", "id"),
        C("姓名", "name", "name"),
        C("原户号", "household_no", "code"),
        C("与原户主关系", "relation_to_head"),
        C("变动类型", "move_type"),
        C("变动日期", "move_date", "date"),
        C("新户号", "new_household_no", "code"),
    ),
    key_field="id_no",
    date_field="move_date",
    date_mix={"compact": 0.6, "iso": 0.4},
)

FILES: tuple[FileSpec, ...] = (
    REGISTRY,
    CREMATION,
    HOSPITAL_DEATHS,
    INSURANCE_DEATHS,
    PAYROLL,
    DIBAO_HOUSEHOLDS,
    DIBAO_MEMBERS,
    PAYMENTS,
    DISABILITY,
    FARM_MACHINERY,
    VEHICLES,
    COMPANIES,
    SHAREHOLDERS,
    REAL_ESTATE,
    TENDERS,
    BIDS,
    RECEPTIONS,
    CAR_TRIPS,
    CANTEEN,
    LEDGERS,
    MEDICAL,
    BANK,
    COMPLAINTS,
    MARRIAGES,
    BIRTHS,
    MOVES,
)


def by_key(key: str) -> FileSpec:
    for f in FILES:
        if f.key == key:
            return f
    raise KeyError(key)


def header_synonyms() -> dict[tuple[str, str], list[str]]:
    """(dataset id, standard field) → the department headers that carry it, in file order."""
    out: dict[tuple[str, str], list[str]] = {}
    for f in FILES:
        for c in f.columns:
            if c.field is not None:
                headers = out.setdefault((f.dataset, c.field), [])
                if c.header not in headers:
                    headers.append(c.header)
    return out
