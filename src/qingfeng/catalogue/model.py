"""Typed shape of a catalogue YAML file: a standard dataset and its fields."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Semantic types: each has a normaliser in qingfeng.ingest.normalise and a storage type below.
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
    min: float | None = None
    max: float | None = None
    pattern: str | None = Field(default=None, description="regex the normalised value must match")
    code_variant: str | None = Field(
        default=None,
        description="another field this column carries when its values are division codes",
    )
    unit: Literal["yuan", "wan"] = Field(
        default="yuan", description="amount: unit assumed when the header does not say"
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
    fields: list[FieldSpec]

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        names = [f.name for f in self.fields]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate field names: {sorted(dupes)}")
        known = set(names)
        refs = [*self.unique_key, *(n for g in self.require_one_of for n in g)]
        if self.timeliness_field:
            refs.append(self.timeliness_field)
        refs += [f.code_variant for f in self.fields if f.code_variant]
        if self.parent:
            refs += list(self.parent.link)
        missing = [n for n in refs if n not in known]
        if missing:
            raise ValueError(f"unknown fields referenced: {missing}")
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
