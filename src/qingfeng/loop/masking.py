"""Masking personal data for display: shown masked by default, revealed only on purpose (and
the reveal is written to the audit log by the caller)."""

from __future__ import annotations

import re
from typing import Any

# Bounded by anything but an ASCII letter or digit, not by \b: Chinese characters are word
# characters to \b, so "身份证110101199003071234号" would have no boundary at either end.
# 15 to 21 characters: old and new ID numbers (the last may be X) and bank card numbers.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{14,20}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(1[0-9]{2})[0-9]{4}([0-9]{4})(?![0-9A-Za-z])")
# Evidence keys whose values name or identify a person.
_PERSONAL_KEYS = ("id_no", "name", "phone", "account", "address")


def mask_id(value: str | None) -> str | None:
    """522701195001010011 → 522701********0011; short values keep only the last character."""
    if not value:
        return value
    if len(value) >= 10:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return "*" * (len(value) - 1) + value[-1]


def mask_name(value: str | None) -> str | None:
    """王小明 → 王*明, 李四 → 李*."""
    if not value:
        return value
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_text(text: str) -> str:
    """ID and card numbers to region and last four (as mask_id), mobile numbers to 138****5678,
    wherever they stand in a sentence, Chinese characters around them included."""
    text = _ID_LIKE.sub(lambda m: mask_id(m.group(0)) or "", text)
    return _PHONE.sub(r"\1****\2", text)


def mask_evidence(value: Any, key: str = "") -> Any:
    """A copy of the evidence with personal values masked (keys and structure kept)."""
    if isinstance(value, dict):
        return {k: mask_evidence(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_evidence(v, key) for v in value]
    if isinstance(value, str):
        lowered = key.lower()
        if any(p in lowered for p in _PERSONAL_KEYS):
            return mask_name(value) if "name" in lowered else mask_id(value)
        return mask_text(value)
    return value
