"""The one masking rule of the product (脱敏规则), in Python and as DuckDB SQL.

Every page, API answer, export, letter, log line and public disclosure masks with these
functions; nothing else in the package writes its own mask.

- ID numbers and other identifiers: the first 4 and the last 4 characters kept, the rest
  starred (52272319500101123X → 5227**********123X). The hidden middle holds the county and
  the whole birth date, so a birth date shown next to the mask would rebuild the number: wherever
  a masked identifier is shown, a birth date is shown as its year only (`birth_year`) unless the
  user revealed the record (an audited act).
  Codes of 8 characters or fewer are starred entirely.
- names: first and last character kept, the middle starred (张小明 → 张*明); two characters keep
  the first (张三 → 张*); one character → *.
- phone numbers: the first 3 and the last 4 digits (13812345678 → 138****5678).
- bank accounts: the last 4 kept.
- free text: ID numbers, account numbers (16–19 digits) and mobile numbers inside it masked as
  above.

The DuckDB expressions are the ones used when publishing (vectorised); the Python functions are
the reference the tests compare them with. This module imports nothing from the package, so
every station may use it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

KEEP_HEAD = 4
KEEP_TAIL = 4
_SHORT = KEEP_HEAD + KEEP_TAIL

# An 18- or 15-character resident ID inside free text (not part of a longer number).
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{14}[\dXx](?:\d{2}[\dXx])?(?![0-9A-Za-z])")
# Bank card and account numbers (16 to 19 digits) that are not ID numbers.
_ACCOUNT_LIKE = re.compile(r"(?<![0-9A-Za-z*])\d{16,19}(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_DATE_TEXT = re.compile(r"^\s*((?:19|20)\d\d)[-/.年]?\s*\d{1,2}[-/.月]?\s*\d{1,2}日?(?:[ T].*)?$")
# Evidence and record keys whose values name or identify a person.
_BIRTH_KEYS = ("birth", "csrq", "dob", "出生", "生日")
_NAME_KEYS = ("name", "姓名")
_ID_KEYS = ("id_no", "idno", "id_card", "zjhm", "account", "身份证", "证件号")
_PHONE_KEYS = ("phone", "mobile", "电话", "手机")
_ADDRESS_KEYS = ("address", "地址")


def mask_id(value: str | None) -> str | None:
    """52272319500101123X → 5227**********123X; 8 characters or fewer → all stars."""
    if value is None:
        return None
    text = str(value).strip().upper()
    if len(text) <= _SHORT:
        return "*" * len(text)
    return text[:KEEP_HEAD] + "*" * (len(text) - _SHORT) + text[-KEEP_TAIL:]


def mask_name(value: str | None) -> str | None:
    """王小明 → 王*明, 李四 → 李*, 欧阳小明 → 欧**明."""
    if value is None:
        return None
    name = str(value).strip()
    n = len(name)
    if n == 0:
        return ""
    if n == 1:
        return "*"
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; shorter numbers keep their last 4 digits."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return mask_account(text)


def mask_account(account: str | None) -> str | None:
    if account is None:
        return None
    account = str(account).strip()
    if len(account) <= 4:
        return "*" * len(account)
    return "*" * (len(account) - 4) + account[-4:]


def mask_address(value: str | None) -> str | None:
    """The first 6 characters (province, city, county as written), the rest starred."""
    if value is None:
        return None
    text = str(value).strip()
    return text[:6] + "*" * max(len(text) - 6, 0) if len(text) > 6 else "*" * len(text)


def mask_text(text: str) -> str:
    """Free text with every ID number and mobile number in it masked."""
    text = _ID_LIKE.sub(lambda m: mask_id(m.group(0)) or "", text)
    text = _ACCOUNT_LIKE.sub(lambda m: mask_account(m.group(0)) or "", text)
    return _PHONE.sub(r"\1****\2", text)


def birth_year(value: Any) -> str:
    """A birth date as the year only (1950-01-01 → '1950'); '' when there is no date."""
    if value is None or value == "":
        return ""
    if isinstance(value, date | datetime):
        return str(value.year)
    match = _DATE_TEXT.match(str(value))
    if match:
        return match.group(1)
    return "****"  # an unreadable date is hidden whole rather than shown in part


def birth_year_of_id(id_no: str | None) -> str:
    """The birth year an 18-character resident ID carries ('' when it is not one)."""
    text = (id_no or "").strip()
    if len(text) == 18 and text[:17].isdigit() and text[6:8] in ("19", "20"):
        return text[6:10]
    return ""


def is_birth_key(key: str) -> bool:
    """Whether a column or evidence key holds a birth date (birth_date, 出生日期, csrq)."""
    lowered = key.lower()
    return any(k in lowered for k in _BIRTH_KEYS)


def _key_kind(key: str) -> str:
    lowered = key.lower()
    if any(k in lowered for k in _BIRTH_KEYS):
        return "birth"
    if any(k in lowered for k in _NAME_KEYS):
        return "name"
    if any(k in lowered for k in _ID_KEYS):
        return "id"
    if any(k in lowered for k in _PHONE_KEYS):
        return "phone"
    if any(k in lowered for k in _ADDRESS_KEYS):
        return "address"
    return ""


def mask_value(key: str, value: Any) -> Any:
    """One record value masked by what its key says it holds; other text has IDs and phone
    numbers inside it masked; numbers and booleans unchanged."""
    kind = _key_kind(key)
    if kind == "birth":
        return birth_year(value)
    if isinstance(value, date | datetime):
        return value
    if not isinstance(value, str):
        return value
    if kind == "id":
        return mask_id(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "address":
        return mask_address(value)
    if kind == "name":
        return mask_name(value)
    return mask_text(value)


def mask_evidence(value: Any, key: str = "") -> Any:
    """A copy of a warning's evidence (or any record) with personal values masked: keys and
    structure kept, birth dates as their year."""
    if isinstance(value, dict):
        return {k: mask_evidence(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_evidence(v, key) for v in value]
    return mask_value(key, value)


def mask_name_sql(col: str) -> str:
    c = f"trim({col})"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) = 0 THEN '' "
        f"WHEN length({c}) = 1 THEN '*' "
        f"WHEN length({c}) = 2 THEN left({c}, 1) || '*' "
        f"ELSE left({c}, 1) || repeat('*', length({c}) - 2) || right({c}, 1) END"
    )


def mask_id_sql(col: str) -> str:
    c = f"upper(trim({col}))"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) <= {_SHORT} THEN repeat('*', length({c})) "
        f"ELSE left({c}, {KEEP_HEAD}) || repeat('*', length({c}) - {_SHORT}) "
        f"|| right({c}, {KEEP_TAIL}) END"
    )


def mask_account_sql(col: str) -> str:
    c = f"trim({col})"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN length({c}) <= 4 THEN repeat('*', length({c})) "
        f"ELSE repeat('*', length({c}) - 4) || right({c}, 4) END"
    )


def mask_explanation(text: str, subject_name: str | None) -> str:
    """A warning's sentence for a role that does not see names: the subject's name masked, and
    ID numbers and phone numbers in it masked."""
    if subject_name:
        text = text.replace(subject_name, mask_name(subject_name) or "")
    return mask_text(text)
