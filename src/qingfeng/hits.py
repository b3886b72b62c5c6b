"""A hit: one row a supervision model found, before it becomes a warning in the workflow store.

This is the contract between the model engine (which produces hits) and the workflow store (which
turns them into warnings, keyed by fingerprint so that a re-run updates instead of duplicating).

`Hit` is an immutable named tuple: a run can produce 10^5 of them, and building a tuple costs a
tenth of a frozen dataclass. `Hit._make(values)` builds one from values in field order (what the
engine does, column by column); `hit._replace(period=...)` gives a changed copy.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, NamedTuple

SEVERITIES = ("red", "orange", "yellow", "blue")  # most to least severe


def fingerprint(model_id: str, subject_type: str, subject_id: str, period: str) -> str:
    """Stable identity of a finding: same model, subject and period → same warning."""
    raw = "\x1f".join((model_id, subject_type, subject_id, period))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class _HitFields(NamedTuple):
    model_id: str
    model_version: str
    subject_type: str  # person | organisation | tender | household | account | school | ...
    subject_id: str  # ID number, USCC, tender number, ...
    period: str  # e.g. "2024-05", "2024", or a date; part of the fingerprint
    severity: str  # one of SEVERITIES
    explanation: str  # the model's sentence, filled in for this hit
    subject_name: str | None = None
    amount: Decimal | None = None  # amount at risk, in yuan
    division_code: str | None = None  # where it happened: routes the warning to an organisation
    evidence: dict[str, Any] = {}  # never shared: Hit.__new__ gives each hit its own


class Hit(_HitFields):
    __slots__ = ()

    def __new__(
        cls,
        model_id: str,
        model_version: str,
        subject_type: str,
        subject_id: str,
        period: str,
        severity: str,
        explanation: str,
        subject_name: str | None = None,
        amount: Decimal | None = None,
        division_code: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> Hit:
        return tuple.__new__(
            cls,
            (
                model_id,
                model_version,
                subject_type,
                subject_id,
                period,
                severity,
                explanation,
                subject_name,
                amount,
                division_code,
                {} if evidence is None else evidence,  # never a dict shared between hits
            ),
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.model_id, self.subject_type, self.subject_id, self.period)
