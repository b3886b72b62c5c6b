"""Typed shape of a catalogue YAML file: a standard dataset and its fields."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Semantic types: each has a normaliser in qingfeng.normalise and a storage type below.
FieldType = Literal[
    "id_no",
    "uscc",
    "name",
    "text",
    "code",
    "date",
    "timestamp",
    "period",
    "amount",
    "decimal",
    "integer",
    "division_code",
    "phone",
    "enum",
    "boolean",
]

STORAGE_TYPES: dict[str, str] = {
    "id_no": "VARCHAR",
    "uscc": "VARCHAR",
    "name": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "period": "VARCHAR",
    "amount": "DECIMAL(18,2)",
    "decimal": "DOUBLE",
    "integer": "BIGINT",
    "division_code": "VARCHAR",
    "phone": "VARCHAR",
    "enum": "VARCHAR",
    "boolean": "BOOLEAN",
}

Sensitivity = Literal["public", "internal", "personal", "sensitive", "prohibited"]

# What a field identifies. person_id / org_id fields join the subject libraries.
Role = Literal[
    "attribute",
    "record_key",
    "person_id",
    "org_id",
    "household_id",
    "account_id",
    "vehicle_id",
    "property_id",
    "reference",
]

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class FieldSpec(BaseModel):
    """One column of a standard dataset."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: FieldType
    required: bool = False
    role: Role = "attribute"
    sensitivity: Sensitivity
    zh: str = Field(description="Meaning in Chinese")
    en: str = Field(description="Meaning in English")
    synonyms: list[str] = Field(default_factory=list, description="Chinese header variants")
    values: dict[str, list[str]] | None = Field(
        default=None, description="enum: canonical value -> accepted spellings"
    )
    fallback: str | None = Field(
        default=None, description="enum: value given to unrecognised spellings (else invalid)"
    )
    usual: str | None = Field(
        default=None,
        description="enum: the value most rows of any export carry (a registry's living "
        "residents); the column's most frequent wording, if no spelling names it, takes it",
    )
    implied_by: dict[str, str] = Field(
        default_factory=dict,
        description="enum: value -> a field of the dataset whose being filled marks it (a "
        "death date marks the deceased); the one unknown wording whose rows fill it takes it",
    )
    implied_by_empty: dict[str, str] = Field(
        default_factory=dict,
        description="enum: value -> a field of the dataset whose being empty marks it (no "
        "reply yet marks a ticket still in hand); the one unknown wording whose rows leave it "
        "empty, while the rows of every other wording fill it, takes it",
    )
    min: float | None = None
    max: float | None = None
    pattern: str | None = Field(default=None, description="regex the normalised value must match")
    code_variant: str | None = Field(
        default=None,
        description="another field this column carries when its values are division codes",
    )
    unit: Literal["yuan", "wan", "percent", "fraction"] = Field(
        default="yuan",
        description="amount: unit assumed when the header does not say (yuan/wan); decimal: "
        "the canonical scale of a ratio, percent (0-100) or fraction (0-1)",
    )
    codes: str | None = Field(
        default=None,
        description="enum: a national code table (dataspec/vocabularies) whose codes are also "
        "accepted; each code's label is one of the field's spellings",
    )
    vocabulary: str | None = Field(
        default=None,
        description="a vocabulary (dataspec/vocabularies) the text is canonicalised through; "
        "unknown wordings keep a NULL code and are reported, never quarantined",
    )
    derive_from: str | None = Field(
        default=None,
        description="another field of the dataset whose column fills this one when no column "
        "maps to it (a period from the pay date, a subsidy code from the subsidy type)",
    )
    before: str | None = Field(
        default=None,
        description="date/timestamp: another date or time field of the dataset that this one "
        "precedes on the same row (admission before discharge); recognition reads the order "
        "of the values to tell the two columns apart",
    )
    at_most: str | None = Field(
        default=None,
        description="amount: another amount field of the dataset that this one never exceeds "
        "on the same row (the fund's part of a claim's total); recognition reads the values "
        "to tell the two columns apart",
    )
    true_values: list[str] = Field(
        default_factory=list, description="boolean: spellings of yes beside the shared set"
    )
    false_values: list[str] = Field(
        default_factory=list, description="boolean: spellings of no beside the shared set"
    )

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        if not _SNAKE.match(self.name):
            raise ValueError(f"field name {self.name!r} must be snake_case")
        if self.type == "enum" and not self.values:
            raise ValueError(f"enum field {self.name!r} needs `values`")
        if self.type != "enum" and (self.values or self.fallback):
            raise ValueError(f"field {self.name!r}: `values`/`fallback` only apply to enums")
        if self.fallback is not None and self.values and self.fallback not in self.values:
            raise ValueError(f"field {self.name!r}: fallback {self.fallback!r} is not a value")
        if (self.usual or self.implied_by or self.implied_by_empty) and self.type != "enum":
            raise ValueError(f"field {self.name!r}: `usual`/`implied_by` only apply to enums")
        unknown = [
            v
            for v in [self.usual, *self.implied_by, *self.implied_by_empty]
            if v and v not in (self.values or {})
        ]
        if unknown:
            raise ValueError(f"field {self.name!r}: {unknown} are not values of the field")
        if self.codes is not None and self.type != "enum":
            raise ValueError(f"field {self.name!r}: `codes` only applies to enums")
        if (self.true_values or self.false_values) and self.type != "boolean":
            raise ValueError(f"field {self.name!r}: true/false spellings only apply to booleans")
        if set(map(str.lower, self.true_values)) & set(map(str.lower, self.false_values)):
            raise ValueError(f"field {self.name!r}: a spelling is both true and false")
        if self.unit in ("percent", "fraction") and self.type != "decimal":
            raise ValueError(f"field {self.name!r}: unit {self.unit!r} only applies to decimals")
        if self.unit in ("percent", "fraction") and self.max != (
            100 if self.unit == "percent" else 1
        ):
            raise ValueError(
                f"field {self.name!r}: a {self.unit} ratio declares max "
                f"{100 if self.unit == 'percent' else 1}"
            )
        if self.before is not None and self.type not in ("date", "timestamp"):
            raise ValueError(f"field {self.name!r}: `before` only applies to dates and times")
        if self.at_most is not None and self.type != "amount":
            raise ValueError(f"field {self.name!r}: `at_most` only applies to amounts")
        if self.sensitivity == "prohibited" and self.required:
            raise ValueError(f"field {self.name!r}: a prohibited field cannot be required")
        return self

    @property
    def storage_type(self) -> str:
        return STORAGE_TYPES[self.type]

    @property
    def header_names(self) -> list[str]:
        """Every header spelling that maps onto this field."""
        return [self.name, self.zh, *self.synonyms]


class ParentLink(BaseModel):
    """The dataset whose columns a file of this one often repeats on every row.

    A member roster repeats its household's columns beside each member, a bid-opening record
    its tender's: such a file lands in both datasets, the repeated part de-duplicated into the
    parent. `link` pairs this dataset's fields with the parent's unique key.
    """

    model_config = ConfigDict(extra="forbid")

    dataset: str
    link: dict[str, str] = Field(description="this dataset's field -> the parent's key field")


class DatasetSpec(BaseModel):
    """One standard dataset (标准库表)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    zh: str
    en: str
    department: str = Field(description="Supplying department, in Chinese")
    description_zh: str
    description_en: str
    unique_key: list[str] = Field(default_factory=list, description="fields that identify a row")
    key_conflicts: Literal["quarantine", "land"] = Field(
        default="quarantine",
        description="rows sharing the unique key but differing elsewhere: quarantined, or "
        "landed where the key legitimately repeats (a voucher's lines, a plate re-issued)",
    )
    parent: ParentLink | None = Field(
        default=None, description="the dataset whose columns this one's files may repeat"
    )
    timeliness_field: str | None = Field(
        default=None, description="date field whose latest value says how fresh the data is"
    )
    require_one_of: list[list[str]] = Field(
        default_factory=list, description="groups of fields of which at least one must be present"
    )
    measures: list[str] = Field(
        default_factory=list,
        description="the fields a row of this dataset exists to record (a claim's cost, a "
        "payment's amount): recognition does not take a table with a column for none of them "
        "for this dataset while another fits it, however well it fills the rest",
    )
    fields: list[FieldSpec]

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        names = [f.name for f in self.fields]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate field names: {sorted(dupes)}")
        known = set(names)
        refs = [*self.unique_key, *(n for g in self.require_one_of for n in g), *self.measures]
        if self.timeliness_field:
            refs.append(self.timeliness_field)
        refs += [f.code_variant for f in self.fields if f.code_variant]
        refs += [f.derive_from for f in self.fields if f.derive_from]
        if self.parent:
            refs += list(self.parent.link)
        refs += [f.before for f in self.fields if f.before]
        refs += [f.at_most for f in self.fields if f.at_most]
        missing = [n for n in refs if n not in known]
        if missing:
            raise ValueError(f"unknown fields referenced: {missing}")
        kinds = {f.name: f.type for f in self.fields}
        for f in self.fields:
            if f.before and kinds[f.before] not in ("date", "timestamp"):
                raise ValueError(f"field {f.name!r}: `before` {f.before!r} is not a date or time")
            if f.at_most and kinds[f.at_most] != "amount":
                raise ValueError(f"field {f.name!r}: `at_most` {f.at_most!r} is not an amount")
        seen: dict[str, str] = {}
        for f in self.fields:
            for h in f.header_names:
                key = normalise_header(h)
                if key in seen and seen[key] != f.name:
                    raise ValueError(f"header {h!r} maps to both {seen[key]!r} and {f.name!r}")
                seen[key] = f.name
        return self

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def derived_fields(self) -> list[FieldSpec]:
        """Fields filled from another field's column when no column maps to them."""
        return [f for f in self.fields if f.derive_from]

    @property
    def stored_fields(self) -> list[FieldSpec]:
        """Fields that reach the lake: prohibited ones are never stored."""
        return [f for f in self.fields if f.sensitivity != "prohibited"]


_FULLWIDTH = str.maketrans({**{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)}, "\u3000": " "})
_BRACKETED_UNIT = re.compile(r"\((?:单位[:：]?)?(元|万元|人民币元|元/月|万)\)$")
# Units of measure a clerk appends to a header (数量（公斤）, 建筑面积（㎡）): the field is the same
# whatever the unit, so they are ignored when headers are compared. Money units are kept apart
# because header_unit() reads them to scale amounts.
_BRACKETED_MEASURE = re.compile(
    r"\((?:单位[:：]?)?(公里|千米|km|米|m|公斤|千克|kg|克|g|吨|斤|平方米|㎡|m2|m²|亩|%|‰|人|台|辆|次|个|件|份|天|日|小时|岁|年|月)\)$"
)


def normalise_header(header: str) -> str:
    """A header as compared against synonyms: half-width, no spaces, lower case, no unit suffix."""
    h = header.translate(_FULLWIDTH).replace("\ufeff", "")
    h = re.sub(r"\s+", "", h).lower()
    h = _BRACKETED_UNIT.sub("", h)
    h = _BRACKETED_MEASURE.sub("", h)
    return h


def header_unit(header: str) -> str | None:
    """The money unit a header announces: 'wan' for 万元, 'yuan' for 元, else None."""
    h = re.sub(r"\s+", "", header.translate(_FULLWIDTH))
    m = _BRACKETED_UNIT.search(h)
    if not m:
        return "wan" if h.endswith("万元") else None
    return "wan" if m.group(1).startswith("万") else "yuan"


def header_measure(header: str) -> str | None:
    """The unit of measure (not money) a header announces in brackets: 公斤, ㎡, 公里, %…"""
    h = re.sub(r"\s+", "", header.translate(_FULLWIDTH))
    m = _BRACKETED_MEASURE.search(h)
    return m.group(1) if m else None


class CodeTable(BaseModel):
    """A national code table (国家/行业标准代码表): code -> the standard's label."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["code_table"]
    zh: str
    en: str
    standard: str = Field(description="the standard that defines the codes")
    codes: dict[str, str]
    combinable: bool = Field(
        default=False,
        description="one-character codes may be written together (GK: two statuses at once)",
    )

    @model_validator(mode="after")
    def _check(self) -> CodeTable:
        if not self.codes:
            raise ValueError(f"code table {self.id!r} has no codes")
        if self.combinable and any(len(c) != 1 for c in self.codes):
            raise ValueError(f"code table {self.id!r}: only one-character codes combine")
        return self


class VocabularyTerm(BaseModel):
    """One canonical entry of a vocabulary and the wordings that name it."""

    model_config = ConfigDict(extra="forbid")

    zh: str
    en: str
    spellings: list[str] = Field(default_factory=list, description="exact wordings")
    # Each group lists key terms that must all appear in a wording for it to name this entry;
    # one matching group is enough. A wording whose groups point at two entries stays unmatched.
    key_terms: list[list[str]] = Field(default_factory=list)
    exclude: list[str] = Field(
        default_factory=list, description="terms that rule this entry out when present"
    )


class Vocabulary(BaseModel):
    """A controlled vocabulary: canonical code -> wordings departments use for it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["vocabulary"]
    zh: str
    en: str
    terms: dict[str, VocabularyTerm]

    @model_validator(mode="after")
    def _check(self) -> Vocabulary:
        for code in self.terms:
            if not _SNAKE.match(code):
                raise ValueError(f"vocabulary {self.id!r}: code {code!r} must be snake_case")
        return self


class BooleanWords(BaseModel):
    """The spellings of yes and no every boolean field accepts."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["boolean"]
    zh: str
    en: str
    true_values: list[str]
    false_values: list[str]


def fold_value(text: str) -> str:
    """A value as compared against spellings: half-width, no spaces, lower case."""
    return text.translate(_FULLWIDTH).replace(" ", "").lower()
