"""Each department file the synthetic county writes: its name, format, encoding and columns.

Every column pairs the department's own header (what the clerk typed) with the standard field it
carries — `dataset.field` as in docs/architecture.md — or None for columns with no standard field
(serial numbers, ages, clerk names...). `header_synonyms()` turns the table into the list the
ingest mapper can learn from.

Column kinds drive the mess the renderer adds: `id` (resident ID), `name` (person name), `date`,
`period` (YYYY-MM month), `money`, `code` (division codes, household numbers, account numbers) and
`text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "name", "date", "period", "money", "code", "text"]


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
    date_field: str  # the date planted impossible dates go into
    date_mix: dict[str, float]  # share of each date format (dates.FORMATS) in this file
    money_unit: Literal["元", "万元"] = "元"
    constants: dict[str, str] = field(default_factory=dict)  # fields fixed by the file
    mess: Mess = field(default_factory=Mess)

    def column(self, field_name: str) -> Column:
        for c in self.columns:
            if c.field == field_name:
                return c
        raise KeyError(f"{self.key}: no column for field {field_name}")


C = Column

REGISTRY = FileSpec(
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
        C("注销日期", "registry_death_date", "date"),
        C("联系电话", "phone", "code"),
    ),
    key_field="id_no",
    date_field="birth_date",
    date_mix={"compact": 0.85, "iso": 0.15},
)

CREMATION = FileSpec(
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

PAYMENTS = FileSpec(
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

FILES: tuple[FileSpec, ...] = (REGISTRY, CREMATION, PAYMENTS)


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
