"""Masking personal data for display: shown masked by default, revealed only on purpose (and
the reveal is written to the audit log by the caller)."""

from __future__ import annotations

import re
from typing import Any

_ID_LIKE = re.compile(r"\b(\d{6})\d{8,11}([\dXx]{1,4})\b")
_PHONE = re.compile(r"\b(1\d{2})\d{4}(\d{4})\b")
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
    text = _ID_LIKE.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2)[-4:], text)
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
