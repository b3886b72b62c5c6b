"""What can be published (阳光公开的内容类别), declared as data: lake dataset, displayed columns
with their masking, allowed filters, and how self-query finds a person.

Every SQL fragment here is a constant written by us; user values only ever reach DuckDB as bound
parameters (see publishing.snapshot_sql).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qingfeng.masking import mask_account_sql, mask_id_sql, mask_name_sql


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sql: str  # DuckDB expression over alias `t`, cast to VARCHAR


@dataclass(frozen=True)
class Verification:
    label: str  # the question shown to the querent
    sql: str  # DuckDB expression over `t` giving the expected answer


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    sql: str  # condition with one `?` placeholder
    pattern: str  # regular expression the value must match


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    dataset: str | None  # None: free text only (policies)
    columns: tuple[Column, ...] = ()
    order_by: str = ""
    division_sql: str | None = None
    filters: tuple[Filter, ...] = ()
    id_sql: str | None = None  # self-query: the person's ID number
    name_sql: str | None = None
    verifications: dict[str, Verification] = field(default_factory=dict)

    @property
    def supports_self_query(self) -> bool:
        return self.id_sql is not None

    def shown(self, keys: list[str] | tuple[str, ...] | None) -> tuple[Column, ...]:
        """The columns a version shows: those named (kept in the kind's order), else all."""
        if not keys:
            return self.columns
        wanted = set(keys)
        return tuple(c for c in self.columns if c.key in wanted)


def _money(col: str) -> str:
    return f"CAST(CAST({col} AS DECIMAL(18,2)) AS VARCHAR)"


def _text(col: str) -> str:
    return f"CAST({col} AS VARCHAR)"


_DIVISION = Filter(
    "division_prefix", "行政区划代码前缀", "starts_with(t.division_code, ?)", r"^\d{2,12}$"
)

KINDS: dict[str, Kind] = {
    "subsidy_roll": Kind(
        id="subsidy_roll",
        label="惠民补贴发放",
        dataset="subsidy_payments",
        columns=(
            Column("name", "姓名", mask_name_sql("t.name")),
            Column("id_no", "身份证号", mask_id_sql("t.id_no")),
            Column("subsidy_type", "补贴类别", _text("t.subsidy_type")),
            Column("period", "所属期", _text("t.period")),
            Column("pay_date", "发放日期", _text("t.pay_date")),
            Column("amount", "金额（元）", _money("t.amount")),
            Column("account_no", "发放账号", mask_account_sql("t.account_no")),
        ),
        order_by="t.division_code, t.period, t.payment_no",
        division_sql="t.division_code",
        filters=(
            _DIVISION,
            Filter("period_from", "起始所属期", "t.period >= ?", r"^\d{4}-\d{2}$"),
            Filter("period_to", "截止所属期", "t.period <= ?", r"^\d{4}-\d{2}$"),
            Filter("subsidy_type", "补贴类别", "t.subsidy_type = ?", r"^.{1,50}$"),
        ),
        id_sql="t.id_no",
        name_sql="t.name",
        verifications={
            "account_last4": Verification(
                "发放账号（银行卡号）后四位", "right(trim(t.account_no), 4)"
            ),
        },
    ),
    "village_ledger": Kind(
        id="village_ledger",
        label="村集体财务",
        dataset="village_ledgers",
        columns=(
            Column("voucher_no", "凭证号", _text("t.voucher_no")),
            Column("entry_date", "记账日期", _text("t.entry_date")),
            Column("payee_name", "收款人", mask_name_sql("t.payee_name")),
            Column("amount", "金额（元）", _money("t.amount")),
            Column("pay_method", "支付方式", _text("t.pay_method")),
            Column("purpose", "用途", _text("t.purpose")),
            Column("decision_no", "决议编号", _text("t.decision_no")),
        ),
        order_by="t.division_code, t.entry_date, t.voucher_no",
        division_sql="t.division_code",
        filters=(
            _DIVISION,
            Filter(
                "date_from", "起始日期", "t.entry_date >= CAST(? AS DATE)", r"^\d{4}-\d{2}-\d{2}$"
            ),
            Filter(
                "date_to", "截止日期", "t.entry_date <= CAST(? AS DATE)", r"^\d{4}-\d{2}-\d{2}$"
            ),
        ),
        id_sql="t.payee_id_no",
        name_sql="t.payee_name",
    ),
    "tender": Kind(
        id="tender",
        label="工程项目与招投标",
        dataset="tenders",
        columns=(
            Column("tender_no", "项目编号", _text("t.tender_no")),
            Column("project_name", "项目名称", _text("t.project_name")),
            Column("buyer_name", "采购人", _text("t.buyer_name")),
            Column("budget", "预算（元）", _money("t.budget")),
            Column("method", "采购方式", _text("t.method")),
            Column("announce_date", "公告日期", _text("t.announce_date")),
            Column("award_date", "中标日期", _text("t.award_date")),
            Column(
                "winner_name",
                "中标单位",
                "(SELECT any_value(b.bidder_name) FROM bids b "
                "WHERE b.tender_no = t.tender_no AND b.bidder_uscc = t.winner_uscc)",
            ),
            Column("winner_uscc", "中标单位信用代码", _text("t.winner_uscc")),
            Column("winning_price", "中标价（元）", _money("t.winning_price")),
        ),
        order_by="t.announce_date, t.tender_no",
        filters=(
            Filter(
                "date_from",
                "公告起始日期",
                "t.announce_date >= CAST(? AS DATE)",
                r"^\d{4}-\d{2}-\d{2}$",
            ),
            Filter(
                "date_to",
                "公告截止日期",
                "t.announce_date <= CAST(? AS DATE)",
                r"^\d{4}-\d{2}-\d{2}$",
            ),
            Filter("buyer_uscc", "采购人信用代码", "t.buyer_uscc = ?", r"^[0-9A-Z]{18}$"),
        ),
    ),
    "policy": Kind(id="policy", label="政策与申领条件", dataset=None),
}
