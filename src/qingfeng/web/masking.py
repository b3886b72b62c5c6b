"""Masking of personal identifiers for display: masked unless role and reason allow otherwise."""

from __future__ import annotations


def mask_id(value: str | None) -> str:
    """3301021990…1234 → 330102********1234: region and last four digits only."""
    if not value:
        return ""
    text = str(value)
    if len(text) >= 15:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) > 4:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return "*" * len(text)


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask_explanation(text: str, subject_name: str | None) -> str:
    """The explanation sentence with the subject's name masked and any ID numbers or phone
    numbers in it masked (for roles that do not see names)."""
    from qingfeng.loop.masking import mask_text

    if subject_name:
        text = text.replace(subject_name, mask_name(subject_name))
    return mask_text(text)
