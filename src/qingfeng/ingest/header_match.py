"""What a header says about a field: evidence derived from the catalogue, never a list of wordings.

For each field the catalogue gives a Chinese name (`zh`), synonyms, an English name (`en`) and an
identifier (`name`). From those alone this module derives what else a header may look like:

- the same words after normalisation (`normalise_header`): **synonym**;
- one containing the other, or sharing most characters (compared on characters, not bytes):
  **contains** / **similar**;
- the pinyin initials of the Chinese names and of their endings (pypinyin), which is how national
  data-element codes are formed: GMSFHM ↔ 公民身份号码, HPHM ↔ 号牌号码, SFZMHM ↔ the ending
  身份证明号码 of 所有人身份证明号码: **pinyin**;
- English words of `name` and `en`, split from snake_case or camelCase, with common
  abbreviations (no/num/number, amt/amount, ...): **english**.

`header_match(header, field)` returns the best of these with a score in [0, 1].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from qingfeng.dataspec import FieldSpec, normalise_header

SYNONYM = "synonym"
CONTAINS = "contains"
SIMILAR = "similar"
PINYIN = "pinyin"
ENGLISH = "english"
NONE = "none"

# English words and the abbreviations exports use for them (generic vocabulary of column names).
_ABBREVIATIONS: dict[str, str] = {
    "number": "no",
    "num": "no",
    "nbr": "no",
    "nr": "no",
    "code": "no",
    "identifier": "id",
    "identity": "id",
    "ident": "id",
    "dt": "date",
    "day": "date",
    "tm": "time",
    "datetime": "time",
    "timestamp": "time",
    "amt": "amount",
    "sum": "amount",
    "money": "amount",
    "qty": "quantity",
    "addr": "address",
    "tel": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "org": "organisation",
    "organization": "organisation",
    "unit": "organisation",
    "corp": "company",
    "enterprise": "company",
    "firm": "company",
    "cert": "certificate",
    "reg": "registration",
    "register": "registration",
    "registered": "registration",
    "desc": "description",
    "dob": "birth",
    "sex": "gender",
    "nm": "name",
    "fullname": "name",
    "acct": "account",
    "acc": "account",
    "bal": "balance",
    "txn": "transaction",
    "trans": "transaction",
    "licence": "plate",
    "license": "plate",
    "plt": "plate",
    "veh": "vehicle",
    "div": "division",
    "region": "division",
    "area_code": "division",
    "uscc": "uscc",
    "credit": "uscc",
    "pct": "ratio",
    "percent": "ratio",
    "percentage": "ratio",
    "share": "ratio",
    "proportion": "ratio",
    "start": "begin",
    "from": "begin",
    "end": "finish",
    "to": "finish",
    "until": "finish",
    "st": "status",
    "state": "status",
}
_STOPWORDS = {"of", "the", "a", "an", "or", "and", "in", "for", "by", "per", "to_", "is", "s"}


@dataclass(frozen=True)
class HeaderMatch:
    score: float
    kind: str  # synonym | contains | similar | pinyin | english | none
    via: str = ""  # the catalogue wording the header was matched against

    def __bool__(self) -> bool:
        return self.score > 0


NO_MATCH = HeaderMatch(0.0, NONE)


def _han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@lru_cache(maxsize=4096)
def _letters(text: str) -> tuple[str, ...]:
    """One pinyin initial per character of `text` (read as a phrase, so 银行 is yh), '' for a
    character that is not Chinese."""
    out: list[str] = []
    for ch, py in zip(text, _per_char(text), strict=True):
        out.append(py[:1] if _han(ch) else re.sub(r"[^a-z0-9]", "", ch.lower()))
    return tuple(out)


def _keep_each(chars: str) -> list[str]:
    return list(chars)


def _per_char(text: str) -> list[str]:
    # Characters without a reading come back one by one, so readings line up with `text`.
    errors: Any = _keep_each
    readings = list(lazy_pinyin(text, style=Style.NORMAL, errors=errors))
    if len(readings) != len(text):  # a run pypinyin did not split: fall back to characters
        readings = [lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0] for ch in text]
    return readings


def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters of `text` (letters and digits kept as they are)."""
    return "".join(_letters(text))


def english_tokens(text: str) -> frozenset[str]:
    """Words of an identifier or phrase: snake_case, camelCase, spaces; abbreviations expanded."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text.lower()) if w]
    out = set()
    for w in words:
        if w in _STOPWORDS:
            continue
        w = _ABBREVIATIONS.get(w, w)
        if w.endswith("s") and len(w) > 3 and not w.endswith("ss") and w not in ("status",):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


@dataclass(frozen=True)
class FieldNames:
    """Everything a header may be compared with, for one field."""

    chinese: tuple[str, ...]  # normalised zh and synonyms (and name)
    chars: tuple[frozenset[str], ...]  # the characters of each wording, to skip unrelated ones
    # Role words the field's own wordings put before a shorter wording of it: 成员 in
    # 成员身份证号 (成员 + 身份证号). A field with such words is a role-specific field.
    qualifiers: frozenset[str]
    english: tuple[frozenset[str], ...]


FieldKey = tuple[str, str, str, tuple[str, ...]]


def field_key(field: FieldSpec) -> FieldKey:
    """What the matching reads of a field, hashable (catalogue specs are not)."""
    return (field.name, field.zh, field.en, tuple(field.synonyms))


@lru_cache(maxsize=2048)
def _names(key: FieldKey) -> FieldNames:
    name, zh, en, synonyms = key
    header_names = [name, zh, *synonyms]
    chinese = tuple(dict.fromkeys(normalise_header(h) for h in header_names if h))
    english = {english_tokens(name), english_tokens(en)}
    english |= {english_tokens(h) for h in header_names if h.isascii()}
    qualifiers = frozenset(
        long_[: -len(short)]
        for long_ in chinese
        for short in chinese
        if len(short) >= 2 and long_ != short and long_.endswith(short) and _han(long_)
    )
    return FieldNames(
        chinese=chinese,
        chars=tuple(frozenset(w) for w in chinese),
        qualifiers=qualifiers,
        english=tuple(t for t in english if t),
    )


@lru_cache(maxsize=2048)
def _pinyin(key: FieldKey) -> tuple[tuple[str, str, float], ...]:
    """(initials, wording, weight) of each Chinese wording of a field and of its endings of two
    characters or more: codes name the attribute (身份证明号码) without the role before it
    (所有人), at a lower weight. Computed only when an ASCII header needs it."""
    pinyin: dict[str, tuple[str, float]] = {}
    for word in _names(key).chinese:
        if not _han(word):
            continue
        letters = _letters(word)
        for start in range(0, len(word) - 1):
            ending = word[start:]
            if not _han(ending[0]):
                continue
            code = "".join(letters[start:])
            if len(code) < 2:
                continue
            weight = 1.0 if start == 0 else 0.55 + 0.35 * len(ending) / len(word)
            if code not in pinyin or pinyin[code][1] < weight:
                pinyin[code] = (ending, weight)
    return tuple((k, w, s) for k, (w, s) in pinyin.items())


# Words that only say a value is a date or a time (日期, 时间, 时刻...): the values tell that
# already, so two headers that differ only in them name the same moment (起始时间 / 起始日期).
_WHEN = ("年月日", "日期", "时间", "时刻", "时日", "日子", "时候")


def _when_stem(text: str) -> str | None:
    for w in _WHEN:
        if text.endswith(w) and len(text) > len(w):
            return text[: -len(w)]
    return None


def _chinese_match(h: str, names: FieldNames) -> HeaderMatch:
    best = NO_MATCH
    seen = frozenset(h)
    h_stem = _when_stem(h)
    for word, chars in zip(names.chinese, names.chars, strict=True):
        if not word:
            continue
        w_stem = _when_stem(word) if h_stem else None
        if h_stem and w_stem and h[len(h_stem) :] != word[len(w_stem) :]:
            # Two date words (时间 / 日期): compare what the headers say before them.
            m = _chinese_match(h_stem, _stem_names(w_stem))
            if 0.95 * m.score > best.score:
                best = HeaderMatch(0.95 * m.score, SIMILAR if m.kind == SYNONYM else m.kind, word)
        if not seen & chars:
            continue
        if h == word:
            return HeaderMatch(1.0, SYNONYM, word)
        short, long_ = (h, word) if len(h) <= len(word) else (word, h)
        if len(short) >= 2 and short in long_:
            m = HeaderMatch(0.55 + 0.4 * len(short) / len(long_), CONTAINS, word)
            if long_ == h and h.endswith(word) and names.qualifiers:
                # The header puts a role before a wording of the field: the field's own role
                # (成员 for the member's ID) confirms it, another role (申请人) contradicts it.
                role = h[: -len(word)]
                if role in names.qualifiers:
                    m = HeaderMatch(0.95, CONTAINS, role + word)
                else:
                    m = HeaderMatch(m.score * 0.6, CONTAINS, word)
        else:
            m = _similar(h, word, names.qualifiers)
        m = _passive(h, word, m)
        if m.score > best.score:
            best = m
    return best


@lru_cache(maxsize=4096)
def _stem_names(stem: str) -> FieldNames:
    """One wording stripped of its date word, as FieldNames (no role words)."""
    return FieldNames(chinese=(stem,), chars=(frozenset(stem),), qualifiers=frozenset(), english=())


def _passive(h: str, word: str, m: HeaderMatch) -> HeaderMatch:
    """被 turns the role round (被举报人 is whom a report is about, not who made it): a
    header and a wording that differ in it only half match."""
    if m.score and ("被" in h) != ("被" in word):
        return HeaderMatch(m.score * 0.5, m.kind, m.via)
    return m


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


# Words that only say "a sum of money"; the values already tell that. 单价 (a price per unit)
# is kept apart: it is another quantity than a total.
_MONEY = ("金额", "价格", "价款", "总价", "价", "额")


def _money_stem(text: str) -> str | None:
    """What a header says before its money word (合同 in 合同价), or None without one."""
    if text.endswith("单价"):
        return None
    for w in _MONEY:
        if text.endswith(w) and len(text) > len(w):
            return text[: -len(w)]
    return None


def _similar(h: str, word: str, qualifiers: frozenset[str] = frozenset()) -> HeaderMatch:
    """Similarity on characters. Headers ending in the same word (日期, 号码, 姓名) name the same
    kind of value, which the values already tell; what is left before it names the role
    (出生 or 死亡 日期), so that part decides. Two money words (价 and 金额) count as the same
    ending."""
    tail = _common_suffix(h, word)
    h_money, w_money = _money_stem(h), _money_stem(word)
    if tail < 2 and h_money and w_money and len(h_money) >= 2 and len(w_money) >= 2:
        role = SequenceMatcher(None, h_money, w_money, autojunk=False).ratio()
        return HeaderMatch(min(0.95, 0.3 + 0.55 * role), SIMILAR, word)
    if tail >= 2:
        role = SequenceMatcher(None, h[:-tail], word[:-tail], autojunk=False).ratio()
        # A long shared ending (…餐地点) says more than a bare type word (日期).
        shared = max(0.0, tail / max(len(h), len(word)) - 0.5)
        return HeaderMatch(min(0.95, 0.3 + 0.55 * role + 0.5 * shared), SIMILAR, word)
    head = _common_suffix(h[::-1], word[::-1])
    attr = SequenceMatcher(None, h[head:], word[head:], autojunk=False).ratio()
    if head >= 2 and h[:head] in qualifiers and attr > 0:
        # The field's own role word first (成员…): the rest is the attribute, said in other words.
        return HeaderMatch(0.5 + 0.4 * attr, SIMILAR, word)
    if head >= 2 and len(h) > head and len(word) > head:
        # The same subject (接待…) with another attribute after it (对象 or 事由): the
        # attribute decides.
        return HeaderMatch(0.15 + 0.6 * attr, SIMILAR, word)
    ratio = SequenceMatcher(None, h, word, autojunk=False).ratio()
    return HeaderMatch(0.85 * ratio, SIMILAR, word) if ratio >= 0.5 else NO_MATCH


def _code_match(header: str, key_: FieldKey, names: FieldNames) -> HeaderMatch:
    """An ASCII header: pinyin initials of a Chinese wording, or English words."""
    best = NO_MATCH
    key = re.sub(r"[^a-z0-9]", "", header.lower())
    if len(key) >= 2 and key.isalpha():
        for code, word, weight in _pinyin(key_):
            if key == code:
                m = HeaderMatch(0.95 * weight, PINYIN, word)
                if m.score > best.score:
                    best = m
    tokens = english_tokens(header)
    if tokens:
        for target in names.english:
            common = len(tokens & target)
            if not common:
                continue
            dice = 2 * common / (len(tokens) + len(target))
            score = 0.95 if tokens == target else 0.85 * dice if dice >= 0.5 else 0.0
            if score > best.score:
                best = HeaderMatch(score, ENGLISH, " ".join(sorted(target)))
    return best


def header_match(header: str, field: FieldSpec) -> HeaderMatch:
    """How well `header` names `field`, from the catalogue's own wordings of the field."""
    return _match(header, field_key(field))


@lru_cache(maxsize=65536)
def _match(header: str, key: FieldKey) -> HeaderMatch:
    h = normalise_header(header)
    if not h:
        return NO_MATCH
    names = _names(key)
    if h in names.chinese:
        return HeaderMatch(1.0, SYNONYM, h)
    if _han(h):
        return _chinese_match(h, names)
    return _code_match(header, key, names)
