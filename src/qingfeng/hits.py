"""A hit: one row a supervision model found, before it becomes a warning in the workflow store.

This is the contract between the model engine (which produces hits) and the workflow store (which
turns them into warnings, keyed by fingerprint so that a re-run updates instead of duplicating).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SEVERITIES = ("red", "orange", "yellow", "blue")  # most to least severe


def fingerprint(model_id: str, subject_type: str, subject_id: str, period: str) -> str:
    """Stable identity of a finding: same model, subject and period → same warning."""
    raw = "\x1f".join((model_id, subject_type, subject_id, period))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Hit:
    model_id: str
    model_version: str
    subject_type: (
        str  # person | organisation | tender | household | account | school | village | ...
    )
    subject_id: str  # ID number, USCC, tender number, ...
    period: str  # e.g. "2024-05", "2024", or a date; part of the fingerprint
    severity: str  # one of SEVERITIES
    explanation: str  # the model's sentence, filled in for this hit
    subject_name: str | None = None
    amount: Decimal | None = None  # amount at risk, in yuan
    division_code: str | None = None  # where it happened: routes the warning to an organisation
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.model_id, self.subject_type, self.subject_id, self.period)
