"""The model spec: what a supervision model declares, validated by pydantic.

A spec holds intent only (no dialect, no connection). The compiler turns it into SQL for an
engine; the loader reads it from YAML with line numbers. `model_json_schema()` of `ModelSpec` is
published as docs/model-spec.schema.json.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qingfeng.hits import SEVERITIES

FIELDS = (
    "民生资金",
    "公职人员",
    "工程招投标",
    "四风",
    "校园餐",
    "农村三资",
    "信访",
    "医保基金",
    "其他",
)
Severity = Literal["red", "orange", "yellow", "blue"]
assert set(SEVERITIES) == {"red", "orange", "yellow", "blue"}

IDENT = r"^[a-z][a-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=IDENT, max_length=60)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalText(_Strict):
    """Text in Simplified Chinese (required) and English."""

    zh: str = Field(min_length=1)
    en: str = Field(default="")


CitationStatus = Literal["checked", "unverified"]
CITATION_STATUS_ZH = {"checked": "已核实", "unverified": "待核实"}


class LegalBasis(_Strict):
    document: str = Field(min_length=1, description="The law or rule, e.g. 《社会救助暂行办法》")
    article: str | None = Field(default=None, description="e.g. 第六十八条")
    text: str | None = Field(default=None, description="The relevant wording or a summary.")
    status: CitationStatus | None = Field(
        default=None,
        description=(
            "checked: article number and wording verified against the published text (give "
            "`source`); unverified (待核实): quoted from secondary material, shown as such."
        ),
    )
    source: str | None = Field(
        default=None, description="Where a checked citation was verified (publication, URL)."
    )

    @field_validator("status", mode="before")
    @classmethod
    def _status_in_chinese(cls, v: object) -> object:
        # the Chinese labels are accepted as written in the UI
        return {label: code for code, label in CITATION_STATUS_ZH.items()}.get(v, v)  # type: ignore[call-overload]

    @model_validator(mode="after")
    def _checked_has_source(self) -> LegalBasis:
        if self.status == "checked" and not self.source:
            raise ValueError("a checked citation names its source (source: ...)")
        return self


ParamType = Literal["integer", "decimal", "string", "date", "boolean"]


class Parameter(_Strict):
    """A tunable value. Referenced in SQL and severity rules as `:name`; bound as a literal."""

    type: ParamType
    default: Any
    min: Decimal | dt.date | None = None
    max: Decimal | dt.date | None = None
    choices: list[Any] | None = None
    description: LocalText | None = None

    def coerce(self, value: Any) -> Any:
        """Return `value` as this parameter's type, or raise ValueError saying why not."""
        try:
            out: Any
            if self.type == "integer":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                out = int(value)
            elif self.type == "decimal":
                if isinstance(value, bool):
                    raise ValueError
                out = Decimal(str(value))
                if not out.is_finite():
                    raise ValueError
            elif self.type == "string":
                if not isinstance(value, str):
                    raise ValueError
                out = value
            elif self.type == "date":
                out = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            else:
                if not isinstance(value, bool):
                    raise ValueError
                out = value
        except (ValueError, ArithmeticError, TypeError):
            raise ValueError(f"{value!r} is not a valid {self.type}") from None
        if self.min is not None and out < self._bound(self.min):
            raise ValueError(f"{value!r} is below the minimum {self.min}")
        if self.max is not None and out > self._bound(self.max):
            raise ValueError(f"{value!r} is above the maximum {self.max}")
        if self.choices is not None and out not in self.choices:
            raise ValueError(f"{value!r} is not one of {self.choices}")
        return out

    def _bound(self, bound: Any) -> Any:
        if self.type in ("integer", "decimal") and isinstance(bound, dt.date):
            raise ValueError("a numeric parameter has a date bound")
        if self.type == "date" and not isinstance(bound, dt.date):
            return dt.date.fromisoformat(str(bound))
        return bound

    @model_validator(mode="after")
    def _default_fits(self) -> Parameter:
        if self.type in ("string", "boolean") and (self.min is not None or self.max is not None):
            raise ValueError(f"a {self.type} parameter cannot have min/max")
        self.default = self.coerce(self.default)
        return self


class SqlLogic(_Strict):
    """Logic as one SELECT over the standard tables (DuckDB dialect, checked by an allow-list)."""

    sql: str = Field(min_length=1)


class MatchSide(_Strict):
    """One table of a matching rule, optionally reduced to one row per key first."""

    table: str = Field(min_length=1, description="A dataset id from `inputs`.")
    where: list[Condition] = Field(default_factory=list, description="Filters on this table.")
    reduce: Reduce | None = None


class Reduce(_Strict):
    """Collapse a table to one row per `by` columns, e.g. the earliest death_date per id_no."""

    by: list[Identifier] = Field(min_length=1)
    take: dict[Identifier, Literal["min", "max", "sum", "count", "any"]] = Field(min_length=1)


CompareOp = Literal["=", "!=", "<", "<=", ">", ">=", "is_null", "not_null", "in", "not_in"]


class Condition(_Strict):
    """`<column> <op> <other column | param | value>`; columns as `left.col`, `right.col`, `col`."""

    column: str = Field(min_length=1)
    op: CompareOp
    other: str | None = Field(default=None, description="Another column (left.x / right.x).")
    param: Identifier | None = Field(default=None, description="A parameter name.")
    value: Any = None
    days: int | None = Field(
        default=None,
        description="Shift `other` by this many days before comparing (dates only).",
    )
    or_null: bool = Field(
        default=False,
        description="Also true when `other` is NULL (an open-ended date range: no end date yet).",
    )

    @model_validator(mode="after")
    def _one_operand(self) -> Condition:
        given = [x for x in (self.other, self.param, self.value) if x is not None]
        if self.op in ("is_null", "not_null"):
            if given:
                raise ValueError(f"op {self.op} takes no operand")
        elif len(given) != 1:
            raise ValueError("give exactly one of other / param / value")
        if (
            self.op in ("in", "not_in")
            and self.value is not None
            and not isinstance(self.value, list)
        ):
            raise ValueError(f"op {self.op} needs a list value")
        if (self.days is not None or self.or_null) and self.other is None:
            raise ValueError("days and or_null apply to `other`: they need `other`")
        return self


class Aggregate(_Strict):
    """Group the matched rows (e.g. per person and month) and keep groups passing `having`."""

    by: list[str] = Field(min_length=1)
    measures: dict[Identifier, str] = Field(
        min_length=1,
        description="output name → `sum(col)`, `count(*)`, `min(col)`, `max(col)`, "
        "`count_distinct(col)`.",
    )
    having: list[Condition] = Field(default_factory=list)


class MatchRule(_Strict):
    """A structured collision of two tables, for analysts who write no SQL."""

    left: MatchSide
    right: MatchSide | None = None
    join: Literal["inner", "anti", "semi"] = Field(
        default="inner",
        description="inner: rows found on both sides; anti: left rows with no match on the "
        "right (e.g. eligible but not enrolled); semi: left rows with a match, left columns only.",
    )
    keys: list[JoinKey] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    aggregate: Aggregate | None = None
    select: list[str] = Field(
        min_length=1,
        description="Output columns: `left.col`, `right.col`, `col`, or `x AS name`.",
    )

    # field validators (not a model validator): they still run when another field is wrong, so
    # every mistake is reported at once
    @field_validator("join")
    @classmethod
    def _join_needs_right(cls, value: str, info: ValidationInfo) -> str:
        if "right" in info.data and info.data["right"] is None and value != "inner":
            raise ValueError(f"join {value} needs a right table")
        return value

    @field_validator("keys")
    @classmethod
    def _keys_match_right(cls, value: list[JoinKey], info: ValidationInfo) -> list[JoinKey]:
        if "right" not in info.data:
            return value
        if info.data["right"] is None and value:
            raise ValueError("keys need a right table")
        if info.data["right"] is not None and not value:
            raise ValueError("a right table needs at least one key")
        return value


class JoinKey(_Strict):
    left: str = Field(min_length=1)
    right: str = Field(min_length=1)


class MatchLogic(_Strict):
    match: MatchRule


def _logic_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "match" if "match" in value and "sql" not in value else "sql"
    return "match" if isinstance(value, MatchLogic) else "sql"


Logic = Annotated[
    Annotated[SqlLogic, Tag("sql")] | Annotated[MatchLogic, Tag("match")],
    Discriminator(_logic_kind),
]


class Subject(_Strict):
    type: str = Field(
        pattern=IDENT,
        description="person | organisation | tender | household | account | school | village | ...",
    )
    id: str = Field(min_length=1, description="Column (or expression) with the subject's id.")
    name: str | None = Field(default=None, description="Column with the subject's name.")


# How a warning finds its area: the lookup each kind of route step makes (qingfeng.engine.routing)
RouteKind = Literal["person", "organisation", "official", "tender"]
ROUTE_KEYS: dict[str, RouteKind] = {
    "person_id": "person",
    "org_uscc": "organisation",
    "official_id": "official",
    "tender_no": "tender",
}


class RouteStep(_Strict):
    """One way to find a warning's area (division code); give exactly one key.

    `division`: a logic column holding the code itself. `subject`: look the subject id up as a
    person (registered division in `people`), an organisation (registered division in
    `organisations`), an official (the employer on `public_payroll`, then its division) or a
    tender (its buyer's division). `person_id` / `org_uscc` / `official_id` / `tender_no`: the same
    lookups on another logic column.
    """

    division: str | None = Field(default=None, description="Column with a division code.")
    subject: RouteKind | None = Field(default=None, description="Look the subject id up as ...")
    person_id: str | None = Field(default=None, description="Column with a resident ID number.")
    org_uscc: str | None = Field(default=None, description="Column with a credit code.")
    official_id: str | None = Field(
        default=None, description="Column with an official's ID number (routes to the employer)."
    )
    tender_no: str | None = Field(default=None, description="Column with a tender number.")

    @model_validator(mode="after")
    def _exactly_one(self) -> RouteStep:
        given = [k for k, v in self.model_dump().items() if v is not None]
        if len(given) != 1:
            keys = ", ".join(type(self).model_fields)
            raise ValueError(f"a route step takes exactly one of {keys} (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """'division', or the lookup kind (person, organisation, official, tender)."""
        if self.division is not None:
            return "division"
        if self.subject is not None:
            return self.subject
        return next(ROUTE_KEYS[k] for k in ROUTE_KEYS if getattr(self, k) is not None)

    @property
    def column(self) -> str | None:
        """The logic column the step reads (None: the subject id)."""
        if self.subject is not None:
            return None
        if self.division is not None:
            return self.division
        return next(getattr(self, k) for k in ROUTE_KEYS if getattr(self, k) is not None)


class SeverityRule(_Strict):
    level: Severity
    when: str | None = Field(
        default=None,
        description="SQL condition over the logic's columns and :params; the last rule has none.",
    )


class ExpectedHit(_Strict):
    subject_id: str
    period: str
    severity: Severity | None = None
    amount: Decimal | None = None
    explanation: str | None = None


class TestCase(_Strict):
    __test__ = False  # not a pytest class

    name: str = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    expected: list[ExpectedHit] = Field(default_factory=list)


class Screens(_Strict):
    """Screening (阻断): the model also runs on candidates before they are paid or approved.

    The candidates stand in for `dataset` (and for the child datasets they carry, e.g. an
    application for `dibao_households` carries its `dibao_members`); every other input is the
    current lake. `match` says which candidate a hit concerns: each logic column equals an SQL
    expression over the candidate's (normalised) columns.
    """

    dataset: str = Field(min_length=1, description="The input the candidates stand in for.")
    keep_lake: bool = Field(
        default=False,
        description="true: the candidates join the lake's rows of `dataset` whose `match` "
        "expressions equal a candidate's (already paid in the period, one account shared with "
        "others: a hit depends only on rows of its own key); false: they replace them.",
    )
    match: dict[Identifier, str] = Field(
        min_length=1,
        description="logic column -> SQL expression over the candidate's columns, e.g. "
        "{id_no: id_no, period: period}",
    )


VERSION_RE = r"^\d+\.\d+(\.\d+)?$"


class ModelSpec(_Strict):
    """A supervision model (监督模型)."""

    id: str = Field(pattern=IDENT, max_length=80)
    version: str = Field(pattern=VERSION_RE, max_length=20)
    name: LocalText
    field: Literal[FIELDS]  # type: ignore[valid-type]
    description: str = Field(min_length=1)
    legal_basis: list[LegalBasis] = Field(min_length=1)
    inputs: list[str] = Field(min_length=1, description="Standard dataset ids and library tables.")
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    logic: Logic = Field(description="Either {sql: ...} or {match: ...}.")
    subject: Subject
    period: str = Field(min_length=1, description="Expression giving the period, e.g. `period`.")
    severity: list[SeverityRule] = Field(min_length=1)
    amount: str | None = Field(default=None, description="Column with the amount at risk (yuan).")
    division: str | None = Field(default=None, description="Column with the division code.")
    route: list[RouteStep] = Field(
        default_factory=list,
        description="Where the warning's area comes from when `division` gives none, tried in "
        "order: e.g. [{subject: person}] or [{org_uscc: buyer_uscc}]. A warning no step places "
        "goes to the workspace's county (county_division_code).",
    )
    evidence: list[str] = Field(default_factory=list)
    explanation: str = Field(min_length=1, description="Sentence with {column} placeholders.")
    screens: Screens | None = Field(
        default=None, description="Run the model on candidates before payment (screening)."
    )
    tests: list[TestCase] = Field(default_factory=list)
    # the compiled model with default parameters and the installed catalogue, kept by the loader
    _compiled: Any = PrivateAttr(default=None)

    @field_validator("route", mode="before")
    @classmethod
    def _route_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("severity")
    @classmethod
    def _severity_default_last(cls, rules: list[SeverityRule]) -> list[SeverityRule]:
        if not rules:
            return rules
        *head, last = rules
        if last.when is not None:
            raise ValueError("the last severity rule must have no `when` (it is the default)")
        if any(r.when is None for r in head):
            raise ValueError("only the last severity rule may omit `when`")
        return rules

    def parameter_values(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with `overrides` applied and checked against type and bounds."""
        values = {name: p.default for name, p in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if name not in self.parameters:
                raise ValueError(f"model {self.id} has no parameter {name!r}")
            values[name] = self.parameters[name].coerce(value)
        return values


PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

MatchSide.model_rebuild()
MatchRule.model_rebuild()
