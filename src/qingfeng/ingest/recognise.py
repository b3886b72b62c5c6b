"""Which dataset a table is and which field each column carries, from the evidence.

Values decide what a column can be (an ID column is an ID whatever its header says); the header
decides its role among the fields of that type (owner or member, announce or award date); a name
column beside an ID column is taken as the same person's. Each dataset gets an optimal one-to-one
assignment of columns to fields (`scipy.optimize.linear_sum_assignment`), so two columns never
take one field. The dataset is the one the evidence fills best, each column weighted by how few
datasets it points at.

Scores are in [0, 1]:
- header evidence `H` (header_match: synonym 1.0, pinyin initials and English ≤ 0.95, containment
  and similarity lower),
- value fit `V` (the share of sampled values of the kind the field's type needs; None when the
  column has no sampled value),
- a column's score for a field combines both; with no header evidence the values alone give at
  most `VALUES_ONLY_MAX`, and values that contradict the field's type cancel the header.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from qingfeng.dataspec import (
    CatalogueError,
    DatasetSpec,
    FieldSpec,
    header_measure,
    header_unit,
    normalise_header,
)
from qingfeng.dataspec.loader import code_table
from qingfeng.ingest.header_match import HeaderMatch, field_key, header_match
from qingfeng.ingest.order import order_violations
from qingfeng.ingest.profile import ColumnProfile

ASSIGN_MIN = 0.3  # below this a column is left unmapped
SUGGEST_MIN = 0.3  # a missing required field no column suggests itself for at this is hopeless
EXPLAINED_MIN = 0.5  # a column some dataset takes with this evidence needs explaining
REQUIRED_MIN = 0.5  # a required field filled below this is a gap, with the column suggested
VALUES_ONLY_MAX = 0.55  # the most the values alone can give (no header evidence)
SPECIFIC_TEXT_FIT = 0.8  # organisation names, addresses, long text: values this sure of their kind
NEIGHBOUR_BONUS = 0.2  # a name column next to the ID column of the same role
NEIGHBOUR_VALUES = 0.55  # what a name column's values alone give it beside its ID column
SURE_HEADER = 0.9  # header evidence this high is a catalogue wording or its data-element code
LONG_TEXT_MIN = 0.8  # share of sentences (or of addresses) that makes a column long text (places)
UNIT_HEADER = 0.25  # header evidence of a money unit (元, 万元) for an amount field
MARGIN = 1.25  # the best dataset must beat the next by this factor to be confident
TIE = 1.02  # within this factor two datasets are tied
ELIMINATED = 0.4  # a column placed as the only one left of the kind the only field left needs
SHAPE_MIN = 0.8  # share of the values of one shape (names of persons, of bodies, places)
PHRASE_LEN = 6  # average length of the values of a column of reasons, purposes, items of text

# Kinds of value the type of a field calls for ("values only" is trusted for specific kinds).
_SPECIFIC_TYPES = {
    "id_no",
    "uscc",
    "date",
    "timestamp",
    "period",
    "amount",
    "division_code",
    "phone",
    "boolean",
    "decimal",
}


@dataclass(frozen=True)
class FieldEvidence:
    """Why a column was put on a field: shown in the proposal, the draft mapping and the form."""

    header: str
    field: str
    score: float
    header_kind: str  # synonym | contains | similar | pinyin | english | none ("values only")
    header_via: str  # the catalogue wording matched
    header_score: float
    value_fit: float | None  # share of sampled values of the kind the field needs
    value_kind: str  # what the values mostly are (id, date, person, ...)
    neighbour: bool = False  # helped by the column beside it
    ordered: bool = False  # swapped with another column by the order of their values in a row
    eliminated: bool = False  # the one column left of the kind the one field left needs

    def describe(self) -> str:
        how = (
            "values only / 仅凭取值"
            if self.header_kind == "none"
            else f"{self.header_kind} ~ {self.header_via} ({self.header_score:.2f})"
        )
        vals = (
            "no values / 无样本值"
            if self.value_fit is None
            else f"values {self.value_kind} {self.value_fit:.0%}"
        )
        extra = "; next to its ID column / 与证件号列相邻" if self.neighbour else ""
        if self.ordered:
            extra += "; by the order of the values in a row / 按行内取值先后"
        if self.eliminated:
            extra += "; placed once the other columns are / 其余列定位后补位"
        return f"{self.score:.2f}: header {how}; {vals}{extra}"


@dataclass
class Fit:
    """One dataset's best assignment of the table's columns."""

    dataset: str
    score: float  # weighted evidence of the assigned columns
    columns: dict[str, str | None]  # header -> field
    evidence: dict[str, FieldEvidence]  # header -> evidence, assigned headers only
    missing: list[str]  # required fields (or groups) not filled well enough
    weak: dict[str, str] = field(default_factory=dict)  # required field -> header filling it weakly
    suggestions: dict[str, list[str]] = field(default_factory=dict)  # missing field -> headers
    # A required field is missing and no column of the table comes near it: the table is not
    # this dataset's, whatever else it shares with it.
    hopeless: bool = False
    # None of the dataset's measures (catalogue `measures`: a claim's cost) has a column that
    # comes near it: a list of insured persons and dates is not a claims table.
    measureless: bool = False

    @property
    def complete(self) -> bool:
        return not self.missing


# Headers of a free remarks column, found in exports of every kind: what it holds is whatever
# the clerk wrote, so its values (sentences, places) never put it on a field by themselves.
_REMARKS = ("备注", "说明", "其他", "其它", "remark", "note", "memo", "comment")


def _remarks_header(header: str) -> bool:
    h = header.strip().lower()
    return any(w in h for w in _REMARKS)


# --------------------------------------------------------------------------- value fit
def _text_kind(f: FieldSpec) -> str:
    """What a text field's values are expected to look like, from its catalogue description."""
    en = f.en.lower()
    if "address" in en:
        return "address"
    if any(w in en for w in ("content", "reply", "scope", "reason", "memo")):
        return "long"
    if any(w in en for w in ("person", "author")):
        return "person"
    if any(
        w in en
        for w in (
            "body",
            "company",
            "school",
            "hospital",
            "supplier",
            "bidder",
            "buyer",
            "winner",
            "registered name",
        )
    ):
        return "org"
    return "plain"


def _code_kind(f: FieldSpec) -> str:
    if "plate" in f.name:
        return "plate"
    if f.name == "vin":
        return "vin"
    if f.role == "account_id":
        return "account"
    if f.name.endswith("_ip") or "ip" in f.name.split("_"):
        return "ip"
    if "machine_id" in f.name:
        return "mac"
    return "code"


def value_fit(p: ColumnProfile | None, f: FieldSpec) -> float | None:
    """How well the sampled values suit the field's type, in [0, 1]; None without values."""
    if p is None or p.n == 0:
        return None
    key = field_key(f)
    if key not in p.fits:
        p.fits[key] = _value_fit(p, f)
    return p.fits[key]


def _value_fit(p: ColumnProfile, f: FieldSpec) -> float | None:
    s = p.share

    idl = s("id_shape")
    # Numbers that look like division codes are codes only when nearly all of them do: amounts
    # of round thousands (110000, 120000) read as codes too, but beside other numbers.
    division = s("division") if s("division") >= 0.8 else 0.0
    numeric_not_code = max(
        0.0,
        s("number") - idl - s("account") - division - s("phone") - s("uscc") - s("zero_lead"),
    )
    t = f.type
    if t == "id_no":
        return idl
    if t == "uscc":
        return s("uscc")
    if t == "name":
        # Chinese words that do not look like a person's or an organisation's name (no common
        # surname, no usual ending) are still possible names: a header saying 姓名 is not
        # contradicted by them, though they fit less than real-looking names.
        other = max(0.0, s("cjk") - s("address") - s("docno") - s("long_text"))
        return min(
            1.0,
            max(s("person"), 0.85 * (s("person") + s("org")), 0.55 * s("han_short"), 0.5 * other),
        )
    if t == "text":
        # A few values repeated are a vocabulary, not a list of people, even when they look
        # like names.
        person = s("person") * (0.3 if p.small_set else 1.0)
        base = max(0.0, s("cjk") - s("plate") - person * 0.3)
        kind = _text_kind(f)
        if kind == "address":
            # A name that starts with its place (某市某某建筑工程有限公司) is not an address.
            return 0.3 * base + 0.7 * max(0.0, s("address") - s("org"))
        if kind == "long":
            return 0.5 * base + 0.5 * min(1.0, p.avg_len / 15)
        if kind == "person":
            return min(1.0, 0.4 * base + 0.6 * (s("person") + s("org")))
        if kind == "org":
            return 0.35 * base + 0.65 * s("org")
        # Plain text: words, not names, IDs or numbers.
        return max(0.0, base - 0.2 * person - 0.2 * s("address"))
    if t == "code":
        kind = _code_kind(f)
        if kind == "plate":
            return s("plate")
        if kind == "vin":
            return s("vin")
        if kind == "account":
            return s("account")
        if kind == "ip":
            return s("ip")
        if kind == "mac":
            return max(s("mac"), 0.6 * s("codelike"))
        generic = max(
            s("codelike"),
            s("docno"),
            0.6 * max(0.0, s("cjk") - s("person") - s("org") - s("docno")),
        )
        penalty = (
            0.6 * idl
            + 0.6 * s("uscc")
            + s("date")
            + s("time")
            + 0.6 * s("plate")
            + s("phone")
            + 0.5 * s("decimal_point")
            + 0.5 * s("address")
            + 0.8 * s("person")
        )
        return min(1.0, max(0.0, generic - penalty))
    if t == "date":
        return max(0.0, s("date") - 0.3 * s("time"))
    if t == "timestamp":
        return s("time") + 0.75 * max(0.0, s("date") - s("time"))
    if t == "period":
        return s("period") + 0.4 * max(0.0, s("date") - s("time"))
    if t == "amount":
        fit = numeric_not_code
        if s("small_int") >= 0.9 and s("decimal_point") < 0.1:
            fit *= 0.7  # counts look like amounts but rarely are
        return fit
    if t == "decimal":
        return min(1.0, numeric_not_code + s("percent"))
    if t == "integer":
        fit = max(0.0, numeric_not_code - s("decimal_point"))
        return fit if s("small_int") >= 0.5 else 0.85 * fit
    if t == "division_code":
        return s("division")
    if t == "phone":
        return s("phone")
    if t == "boolean":
        two_codes = p.small_set and p.distinct <= 2 and p.avg_len <= 2
        return max(s("yes_no"), 0.6 if two_codes else 0.0, _own_words_share(p, f))
    if t == "enum":
        return _enum_fit(p, f)
    return s("cjk")  # period-like or anything new: plain text


def _spelling(text: str) -> str:
    return normalise_header(text)  # half-width, no spaces, lower case


_SPELLINGS: dict[int, tuple[FieldSpec, frozenset[str], frozenset[str]]] = {}
CODE_HIT = 0.75  # a national code fits less than a spelling: short codes fit many tables


def _table_codes(f: FieldSpec) -> frozenset[str]:
    """The codes of the field's national code table (1/2 for sex, 02 for the household head)."""
    if f.codes is None:
        return frozenset()
    try:
        return frozenset(_spelling(c) for c in code_table(f.codes).codes)
    except CatalogueError:
        return frozenset()


def _enum_spellings(f: FieldSpec) -> tuple[frozenset[str], frozenset[str]]:
    """Every spelling of an enum's values, normalised, and its code table's codes (kept per
    field object: the catalogue is loaded once)."""
    got = _SPELLINGS.get(id(f))
    if got is None or got[0] is not f:
        known: set[str] = set()
        for canon, spellings in (f.values or {}).items():
            known.add(_spelling(canon))
            known.update(_spelling(sp) for sp in spellings)
        got = (f, frozenset(known), _table_codes(f))
        _SPELLINGS[id(f)] = got
    return got[1], got[2]


def _own_words_share(p: ColumnProfile, f: FieldSpec) -> float:
    """Share of the sampled values that hold one of a boolean field's own words (不合格,
    废标…), in a vocabulary of a few wordings."""
    if not p.small_set or not (f.true_values or f.false_values):
        return 0.0
    from qingfeng.normalise import bool_held_words

    words = [w for w, _ in bool_held_words(f)]
    held = sum(n for v, n in p.spelled_top if any(w in v for w in words))
    return held / p.n if p.n else 0.0


def _enum_fit(p: ColumnProfile, f: FieldSpec) -> float:
    known, codes = _enum_spellings(f)
    hit = sum(n for v, n in p.spelled_top if v in known)
    coded = sum(n for v, n in p.spelled_top if v not in known and v in codes)
    vocab = (hit + CODE_HIT * coded) / p.n if p.n else 0.0
    shape = 0.55 if p.small_set else 0.35 if p.distinct <= 30 and p.unique_ratio < 0.5 else 0.0
    if s_generic_codes(p):
        shape = max(shape, 0.45)
    return max(vocab, shape)


def s_generic_codes(p: ColumnProfile) -> bool:
    """A few short codes (1/2, A/B, 01..09): a coded vocabulary."""
    return p.small_set and p.avg_len <= 3


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class _Cell:
    score: float
    match: HeaderMatch
    fit: float | None


def vocabulary_share(p: ColumnProfile | None, vocab_id: str) -> float:
    """Share of the sampled values a catalogue vocabulary names (an exact spelling, or the
    key terms of exactly one entry), as the ingest canonicalises them."""
    if p is None or p.n == 0:
        return 0.0
    key = ("vocabulary", vocab_id)
    if key not in p.fits:
        from qingfeng.dataspec.loader import vocabulary
        from qingfeng.normalise import vocab_code

        vocab = vocabulary(vocab_id)
        named = sum(n for v, n in p.top if vocab_code(vocab, v) is not None)
        p.fits[key] = named / p.n
    return p.fits[key] or 0.0


def cell(
    header: str,
    f: FieldSpec,
    p: ColumnProfile | None,
    via: FieldSpec | None = None,
    vocab: str | None = None,
    *,
    key_alone: bool = True,
) -> _Cell:
    """The evidence that column `header` carries field `f` (see `_cell`), less when a unit in
    the header names another kind of value. `key_alone`: a record number `f` identifies a row
    by itself, so its values should not repeat (a member roster repeats its case number, part
    of a key with the member's ID)."""
    c = _cell(header, f, p, via, key_alone, vocab)
    factor = _unit_factor(header, f)
    return c if factor == 1.0 else _Cell(c.score * factor, c.match, c.fit)


def _cell(
    header: str,
    f: FieldSpec,
    p: ColumnProfile | None,
    via: FieldSpec | None = None,
    key_alone: bool = True,
    vocab: str | None = None,
) -> _Cell:
    """The evidence that column `header` carries field `f`.

    `via` is the field whose header evidence counts for `f` (a `code_variant`: a column headed
    like the village name whose values are division codes carries the division code). `vocab`
    is the vocabulary the field's wordings are canonicalised through (its own, or that of the
    field derived from it): values it names are evidence of the field whatever the header.
    """
    match = _with_unit(header, f, header_match(header, via or f))
    fit = value_fit(p, f)
    if (
        fit is not None
        and p is not None
        and key_alone
        and f.type == "code"
        and f.role in ("record_key", "property_id")
        and p.n >= 5
    ):
        fit *= 0.6 + 0.4 * p.unique_ratio  # a record number that repeats is less of one
    h = match.score
    if vocab is not None and fit is not None:
        named = vocabulary_share(p, vocab)
        if named >= SPECIFIC_TEXT_FIT:
            # Wordings of the field's own vocabulary (高龄…补助, …生活保障金): the values say
            # which field this is, the header only adds to it.
            score = VALUES_ONLY_MAX * named if h == 0 else 0.5 * named + 0.5 * h
            return _Cell(score, match, named)
    if fit is None:
        return _Cell(0.9 * h, match, fit)
    if p is not None and p.constant:
        # One value on every row (an export time, an operator) is a stamp of the file: values
        # alone never put it on a field (unless the value is a spelling of the field's own
        # vocabulary), and it is no event time or record number of a row.
        if h == 0 and not (f.type in ("enum", "boolean") and fit >= 0.8):
            return _Cell(0.0, match, fit)
        if f.type in ("date", "timestamp") and h < SURE_HEADER:
            return _Cell(0.0, match, fit)  # only a catalogue wording makes it a batch's date
        if f.role == "record_key":
            h *= 0.3
    if f.type == "text" and f.sensitivity != "prohibited" and p is not None and p.n:
        kind = _text_kind(f)
        sentences = kind == "long" and p.share("long_text") >= LONG_TEXT_MIN
        places = kind == "address" and p.share("address") >= LONG_TEXT_MIN and p.share("org") < 0.3
        if (sentences or places) and not (h == 0 and _remarks_header(header)):
            # Sentences are what only a few text fields hold (content, reply, reason, scope),
            # and addresses (not names of bodies) only address fields: the values place the
            # column among them, and any header evidence picks which.
            return _Cell(VALUES_ONLY_MAX * fit + 0.3 * h, match, fit)
    if h == 0:
        # Values alone are trusted for kinds only a few fields have (IDs, dates, plates, a
        # vocabulary of the field's own values, unique record numbers); less for plain text.
        specific = (
            f.type in _SPECIFIC_TYPES
            or (f.type == "code" and _code_kind(f) != "code")
            or (f.type in ("enum", "boolean") and fit >= 0.8)
            or (
                f.type == "code"
                and f.role == "record_key"
                and p is not None
                and p.unique_ratio >= 0.95
            )
        )
        if f.sensitivity == "prohibited" or f.type in ("text", "name"):
            # Free text says too little to choose among text fields (a vehicle type or a
            # category?), names of persons say nothing of whose they are (a contact, an author,
            # a driver: the ID column of the role beside it tells, see `fit_dataset`), and a
            # prohibited field is never guessed.
            return _Cell(0.0, match, fit)
        weight = 1.0 if specific else 0.6 if f.type == "enum" else 0.7
        return _Cell(VALUES_ONLY_MAX * fit * weight, match, fit)
    if f.type == "text":
        if fit < 0.1 and p is not None and _other_specific(p) >= 0.8:
            return _Cell(0.0, match, fit)  # dates, IDs or numbers are not words
        if fit >= SPECIFIC_TEXT_FIT and _text_kind(f) in ("org", "long", "address"):
            # Organisation names, addresses and long passages are kinds of their own: values
            # of that kind and a header sharing part of the field's wording (投标… for the
            # bidder, 诉求… for the complaint's content) are enough.
            return _Cell(0.5 * fit + 0.5 * h, match, fit)
        # Any Chinese words fit a text field: the header must say which one.
        return _Cell(0.35 * fit + 0.65 * h if h >= 0.3 else 0.0, match, fit)
    score = 0.5 * fit + 0.5 * h
    # Values that contradict the type cancel the header (text, codes and vocabularies are
    # looser types: only values far from them count against).
    floor = 0.5 if f.type in _SPECIFIC_TYPES or f.type == "name" else 0.3
    if fit < floor:
        score *= fit / floor
    return _Cell(score, match, fit)


# --------------------------------------------------------------------------- elimination
def _field_shape(f: FieldSpec) -> str | None:
    """The shape of the values a free-text field holds: person, org, place or phrase (a
    reason, a purpose, a content); None for words of a vocabulary and for what is never
    collected."""
    if f.type != "text" or f.sensitivity == "prohibited" or f.vocabulary:
        return None
    kind = _text_kind(f)
    en = f.en.lower()
    if kind == "address" or any(w in en for w in ("destination", "location", "place")):
        return "place"
    if kind == "long" or "purpose" in en:
        return "phrase"
    return kind if kind in ("person", "org") else None


def _column_shape(header: str, p: ColumnProfile | None) -> str | None:
    """What the values of an unplaced column are, when they are plainly one shape."""
    if p is None or p.n < 5 or p.constant or p.share("cjk") < SHAPE_MIN:
        return None
    if _remarks_header(header) and len(_strip_remarks(header)) <= 1:
        return None  # a remarks column holds whatever the clerk wrote
    if p.share("person") >= SHAPE_MIN:
        return "person"
    if p.share("org") >= SHAPE_MIN:
        return "org"
    if p.share("address") >= SHAPE_MIN and p.share("org") < 0.3:
        return "place"
    if p.avg_len >= PHRASE_LEN and p.share("person") + p.share("org") < 0.2:
        return "phrase"
    return None


def _strip_remarks(header: str) -> str:
    h = normalise_header(header)
    for w in _REMARKS:
        h = h.replace(w, "")
    return h


def _eliminate(
    fields: list[FieldSpec],
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    pairs: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Free-text columns no header places, put on the free-text fields left unfilled once
    every other column is placed: when exactly one column left has values of a shape (names
    of persons, of bodies, places, phrases) and exactly one field left holds that shape, the
    column is that field's (a bid record's names of persons beside a bid file author field
    that nothing else fills)."""
    placed_cols = {i for i, _ in pairs}
    placed_fields = {j for _, j in pairs}
    cols: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        if i in placed_cols or headers.index(h) != i:
            continue
        shape = _column_shape(h, profiles.get(h))
        if shape is not None:
            cols.setdefault(shape, []).append(i)
    wanted: dict[str, list[int]] = {}
    for j, f in enumerate(fields):
        shape = _field_shape(f)
        if j not in placed_fields and shape is not None:
            wanted.setdefault(shape, []).append(j)
    return [
        (cols[s][0], wanted[s][0])
        for s in cols
        if len(cols[s]) == 1 and len(wanted.get(s, [])) == 1
    ]


# Words that make a header the kind of what the header before them names (目的地 → 目的地类型).
_KIND_WORDS = ("类型", "类别", "分类", "种类", "性质", "类")


def _kinds_of_placed(
    fields: list[FieldSpec],
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    pairs: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """A column headed like a placed column plus a word of kind (类别, 分类…) carries the
    kind of that field (`X_type` beside `X`) when nothing else fills it and its values are a
    small vocabulary: whatever a department calls the destination, the column headed with
    that word and 类别 is the kind of destination."""
    placed = dict(pairs)
    taken = set(placed.values())
    index = {f.name: j for j, f in enumerate(fields)}
    out: list[tuple[int, int]] = []
    for j, f in enumerate(fields):
        if j in taken or f.type not in ("enum", "text") or not f.name.endswith("_type"):
            continue
        base = index.get(f.name[: -len("_type")])
        at = next((i for i, jj in placed.items() if jj == base), None)
        if base is None or at is None:
            continue
        stem = normalise_header(headers[at])
        for k, h in enumerate(headers):
            p = profiles.get(h)
            if k in placed or p is None or not p.n or not (p.small_set or p.distinct <= 30):
                continue
            rest = normalise_header(h)
            if len(stem) >= 2 and rest.startswith(stem) and rest[len(stem) :] in _KIND_WORDS:
                out.append((k, j))
                break
    return out


def _other_specific(p: ColumnProfile) -> float:
    """The share of values of a kind that is not words: dates, times, IDs, codes, numbers."""
    return max(p.share(k) for k in ("date", "time", "id_shape", "uscc", "number", "phone"))


def _with_unit(header: str, f: FieldSpec, match: HeaderMatch) -> HeaderMatch:
    """A money unit in a header (元, 万元) is some header evidence for an amount field that
    the words do not name."""
    if f.type == "amount" and match.score == 0 and header_unit(header):
        return HeaderMatch(UNIT_HEADER, "unit", "元/万元")
    return match


def _unit_factor(header: str, f: FieldSpec) -> float:
    """A unit in the header contradicts fields of another kind: money (元, 万元) is no count or
    ratio, a measure (公斤, ㎡, 公里) no amount of money."""
    if f.type in ("integer", "decimal") and header_unit(header):
        return 0.5
    measure = header_measure(header)
    if f.type == "amount" and measure and measure not in ("%", "‰"):
        return 0.5
    return 1.0


def _pair_name(id_field: str) -> str | None:
    """The name field of the same person or body as an ID or credit-code field: owner_id_no ->
    owner_name, buyer_uscc -> buyer_name, uscc -> name."""
    for suffix in ("id_no", "uscc"):
        if id_field == suffix:
            return "name"
        if id_field.endswith("_" + suffix):
            return id_field[: -len(suffix)] + "name"
    return None


def _lone_name(
    fields: list[FieldSpec],
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    pairs: list[tuple[int, int]],
    cells: list[list[_Cell]],
) -> tuple[int, int, float] | None:
    """(column, field, score) for the one column of persons' names left in a table whose
    placed ID column's name field is the one left: the name of the person the table is
    about, wherever it stands. None when several names or several such fields are left."""
    index = {f.name: j for j, f in enumerate(fields)}
    placed_cols = {i for i, _ in pairs}
    placed_fields = {j for _, j in pairs}
    wanting = {
        index[name]
        for _, j in pairs
        if (name := _pair_name(fields[j].name)) in index and index[name] not in placed_fields
    }
    persons = [
        a
        for a, h in enumerate(headers)
        if a not in placed_cols
        and headers.index(h) == a
        and (p := profiles.get(h)) is not None
        and p.n
        and not p.constant
        and p.share("person") >= SHAPE_MIN
    ]
    if len(wanting) != 1 or len(persons) != 1:
        return None
    (k,), (a,) = wanting, persons
    fit = cells[a][k].fit
    if fields[k].type != "name" or fit is None or fit < 0.5:
        return None
    return a, k, NEIGHBOUR_VALUES * fit * 0.7


def _same_role(name_header: str, id_header: str) -> bool:
    """Headers that name one role: the name column's words begin the ID column's (所在单位 and
    所在单位信用代码, 负责人 and 负责人身份证号)."""
    a, b = normalise_header(name_header), normalise_header(id_header)
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return common >= 2 and (common == len(a) or common >= len(a) - 1)


def _assign(scores: np.ndarray) -> list[tuple[int, int]]:
    if scores.size == 0:
        return []
    # Cells below the threshold are left unmapped afterwards, so they must not weigh in the
    # optimum either (a date column's faint fit to an amount would displace a real amount).
    # Squared, the strong matches count for more than several weak ones: a sure column is not
    # moved off its field so that two doubtful ones find a place.
    kept = np.where(scores >= ASSIGN_MIN, scores, 0.0)
    rows, cols = linear_sum_assignment(-(kept**2))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if scores[r, c] >= ASSIGN_MIN]


def fit_dataset(
    spec: DatasetSpec,
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    weights: dict[str, float] | None = None,
) -> Fit:
    """The best assignment of `headers` to the fields of `spec`, with its evidence."""
    fields = list(spec.fields)
    variants = {f.code_variant: f for f in fields if f.code_variant}
    # A field whose wordings a vocabulary canonicalises: its own, or a derived field's.
    vocabs = {f.name: f.vocabulary for f in fields if f.vocabulary}
    vocabs |= {f.derive_from: f.vocabulary for f in fields if f.vocabulary and f.derive_from}
    n, m = len(headers), len(fields)
    cells: list[list[_Cell]] = []
    scores = np.zeros((n, m))
    for i, h in enumerate(headers):
        row = []
        p = profiles.get(h)
        for j, f in enumerate(fields):
            alone = spec.unique_key == [f.name] or f.name not in spec.unique_key
            c = cell(h, f, p, vocab=vocabs.get(f.name), key_alone=alone)
            if f.name in variants:  # header evidence of the field it is the code variant of
                alt = cell(h, f, p, via=variants[f.name])
                if alt.fit is not None and alt.score > c.score and (alt.fit or 0) >= 0.6:
                    c = alt
            row.append(c)
            # Tiny preferences break exact ties: required fields, then catalogue order.
            scores[i, j] = c.score + (1e-4 if f.required else 0) - 1e-6 * j
        cells.append(row)
    pairs = _assign(scores)
    # Neighbours: a person-name column beside the ID column of a role takes that role's name.
    helped: set[tuple[int, int]] = set()
    index = {f.name: j for j, f in enumerate(fields)}
    for i, j in pairs:
        name = _pair_name(fields[j].name)
        if name is None or name not in index:
            continue
        k = index[name]
        near = {i - 1, i + 1} | {
            a for a in range(n) if a != i and _same_role(headers[a], headers[i])
        }
        for adj in sorted(near):
            if not 0 <= adj < n:
                continue
            p = profiles.get(headers[adj])
            person = p is None or p.n == 0 or p.share("person") + p.share("org") >= 0.5
            if not person:
                continue
            base = cells[adj][k].score
            fit = cells[adj][k].fit
            if base <= 0 and fit is not None and fit >= 0.5:
                # No header evidence, but names beside the ID of that role: the role's name.
                base = NEIGHBOUR_VALUES * fit
            if base > 0:
                scores[adj, k] = max(scores[adj, k], base) + NEIGHBOUR_BONUS
                helped.add((adj, k))
    if helped:
        pairs = _assign(scores)
    lone = _lone_name(fields, headers, profiles, pairs, cells)
    if lone is not None:
        a, k, score = lone
        scores[a, k] = max(scores[a, k], score)
        pairs = _assign(scores)
    # Pairs of dates or amounts the catalogue orders (admission before discharge, the fund's
    # part at most the total): when the values of the two columns run the other way in most
    # rows, the columns are swapped.
    ordered: set[tuple[int, int]] = set()
    carried: dict[tuple[int, int], float] = {}
    for _ in range(3):
        swaps = order_violations(fields, headers, profiles, pairs)
        if not swaps:
            break
        by_col = dict(pairs)
        for (i, j), (i2, j2) in swaps:
            by_col[i], by_col[i2] = j2, j
            ordered |= {(i, j2), (i2, j)}
            carried[(i, j2)] = float(scores[i2, j2])
            carried[(i2, j)] = float(scores[i, j])
        pairs = sorted(by_col.items())
    eliminated = _eliminate(fields, headers, profiles, pairs)
    eliminated += _kinds_of_placed(fields, headers, profiles, [*pairs, *eliminated])
    pairs = sorted([*pairs, *eliminated])
    columns: dict[str, str | None] = dict.fromkeys(headers)
    evidence: dict[str, FieldEvidence] = {}
    total = 0.0
    filled: dict[str, float] = {}
    for i, j in pairs:
        h, f = headers[i], fields[j]
        if columns.get(h) is not None:
            continue  # a repeated header: the first one counts
        c = cells[i][j]
        # A column put on its field by the order of the values is as sure as the one it
        # swapped with was.
        score = min(1.0, max(float(scores[i, j]), carried.get((i, j), 0.0)))
        if (i, j) in eliminated:
            score = ELIMINATED
        columns[h] = f.name
        p = profiles.get(h)
        evidence[h] = FieldEvidence(
            header=h,
            field=f.name,
            score=round(score, 3),
            header_kind=c.match.kind,
            header_via=c.match.via,
            header_score=round(c.match.score, 3),
            value_fit=None if c.fit is None else round(c.fit, 3),
            value_kind=p.best_kind()[0] if p is not None and p.n else "",
            neighbour=(i, j) in helped,
            ordered=(i, j) in ordered,
            eliminated=(i, j) in eliminated,
        )
        filled[f.name] = score
        if (i, j) not in eliminated:
            # Placed once the dataset's other columns are: no evidence for the dataset itself.
            total += score * (weights or {}).get(h, 1.0)
    missing: list[str] = []
    weak: dict[str, str] = {}
    for f in fields:
        if f.required and filled.get(f.name, 0.0) < REQUIRED_MIN:
            missing.append(f.name)
            if f.name in filled:
                weak[f.name] = next(h for h, x in columns.items() if x == f.name)
    for group in spec.require_one_of:
        if not any(filled.get(g, 0.0) >= REQUIRED_MIN for g in group):
            missing.append(" | ".join(group))
    result = Fit(spec.id, total, columns, evidence, missing, weak)
    best: dict[str, float] = {}
    for name in (x for g in missing for x in g.split(" | ")):
        scored = _suggestions(spec, name, headers, profiles, columns)
        result.suggestions[name] = [h for _, h in scored[:3]]
        best[name] = scored[0][0] if scored else 0.0
    result.hopeless = any(
        max(best.get(x, 0.0) for x in g.split(" | ")) < SUGGEST_MIN for g in missing
    )
    result.measureless = bool(spec.measures) and not any(
        filled.get(m, 0.0) >= ASSIGN_MIN
        or any(s >= SUGGEST_MIN for s, _ in _suggestions(spec, m, headers, profiles, columns))
        for m in spec.measures
    )
    return result


def suggest(
    spec: DatasetSpec,
    field_name: str,
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    columns: dict[str, str | None],
    limit: int = 3,
) -> list[str]:
    """The headers most likely to carry `field_name`, best first: unassigned ones, or the one
    that fills it weakly."""
    return [h for _, h in _suggestions(spec, field_name, headers, profiles, columns)[:limit]]


def _suggestions(
    spec: DatasetSpec,
    field_name: str,
    headers: list[str],
    profiles: dict[str, ColumnProfile],
    columns: dict[str, str | None],
) -> list[tuple[float, str]]:
    f = spec.field(field_name)
    scored = []
    for h in headers:
        if columns.get(h) not in (None, field_name):
            continue
        c = cell(h, f, profiles.get(h))
        # The header alone counts too: the values may be what keeps the column off the field.
        score = max(c.score, 0.5 * c.match.score)
        if score > 0.1:
            scored.append((score, h))
    scored.sort(key=lambda x: -x[0])
    return scored


def column_weights(
    headers: list[str], specs: dict[str, DatasetSpec], profiles: dict[str, ColumnProfile]
) -> dict[str, dict[str, float]]:
    """dataset -> header -> how much that column points at that dataset rather than others.

    A column's header evidence (or, failing that, its value fit) for each dataset, as a share of
    its evidence for all datasets: 身份证号 fits a dozen datasets and weighs little in each;
    统筹支付 or a column of plates points at one or two.
    """
    out: dict[str, dict[str, float]] = {d: {} for d in specs}
    for h in headers:
        p = profiles.get(h)
        hs: dict[str, float] = {}
        vs: dict[str, float] = {}
        for d, spec in specs.items():
            hs[d] = max((header_match(h, f).score for f in spec.fields), default=0.0)
            best_v = 0.0
            for f in spec.fields:
                v = value_fit(p, f)
                if v is not None and v >= 0.6 and f.type != "text":
                    best_v = max(best_v, v)
            vs[d] = best_v
        # Only clear header evidence counts towards pointing at a dataset: a shared ending
        # (日期) with a dozen date fields must not dilute an exact wording of one.
        clear = {d: max(0.0, x - 0.45) ** 2 for d, x in hs.items()}
        h_total = sum(clear.values())
        v_total = sum(vs.values())
        for d in specs:
            u_h = clear[d] / h_total if h_total else 0.0
            u_v = vs[d] / v_total if v_total else 0.0
            out[d][h] = 0.35 + max(u_h, 0.5 * u_v)
    return out


def rank_datasets(
    headers: list[str],
    specs: dict[str, DatasetSpec],
    profiles: dict[str, ColumnProfile],
    only: str | None = None,
) -> list[Fit]:
    """Every dataset the columns fill at all, the best first."""
    weights = column_weights(headers, specs, profiles)
    fits = []
    for d, spec in specs.items():
        if only is not None and d != only:
            continue
        fit = fit_dataset(spec, headers, profiles, weights[d])
        if fit.evidence:
            fits.append(fit)
    if only is None:
        _weigh_coverage(fits)
    fits.sort(key=lambda x: -x.score)
    return fits


def _weigh_coverage(fits: list[Fit]) -> None:
    """A dataset explains the table less well when it leaves unused columns that another
    dataset takes with clear evidence: each fit's score is scaled by the square root of the
    share of those columns it takes (a roster's case number and relation to the head, which a
    payroll leaves over, count against the payroll)."""
    wanted = {h for f in fits for h, e in f.evidence.items() if e.score >= EXPLAINED_MIN}
    if not wanted:
        return
    for f in fits:
        took = sum(1 for h, e in f.evidence.items() if h in wanted and e.score >= EXPLAINED_MIN)
        f.score *= (took / len(wanted)) ** 0.5
