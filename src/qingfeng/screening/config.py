"""The `[screening]` table of qingfeng.toml: which decision each model gives, and the limits.

    [screening]
    default = "review"          # a model not listed below
    max_batch = 10000           # candidates per request
    [screening.decisions]
    subsidy_after_death = "block"
    shared_payment_account = "review"
    old_age_allowance_under_age = "allow"   # reported, never held

The decision of a candidate is the strictest of its reasons' (block > review > allow); a
candidate no model finds is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Decision = Literal["allow", "review", "block"]
DECISIONS: tuple[Decision, ...] = ("allow", "review", "block")  # least to most strict

# What a deployment gets without a [screening] table: money to the dead, paid twice, or to a
# household on the public payroll is stopped; the rest is held for a person to look at.
DEFAULT_DECISIONS: dict[str, Decision] = {
    "subsidy_after_death": "block",
    "duplicate_payment": "block",
    "payroll_in_dibao": "block",
}


class ScreeningConfigError(ValueError):
    """The [screening] table is wrong; the message names the key."""


class ScreeningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Decision = "review"
    decisions: dict[str, Decision] = Field(default_factory=lambda: dict(DEFAULT_DECISIONS))
    max_batch: int = Field(default=10_000, ge=1, le=1_000_000)

    def decision_for(self, model_id: str) -> Decision:
        return self.decisions.get(model_id, self.default)


def strictest(decisions: list[Decision]) -> Decision:
    return max(decisions, key=DECISIONS.index, default="allow")


def load_screening_config(settings_file: Path) -> ScreeningConfig:
    """The `[screening]` table (defaults when the file or the table is absent)."""
    if not settings_file.exists():
        return ScreeningConfig()
    try:
        data = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScreeningConfigError(f"{settings_file}: {exc}") from None
    table = data.get("screening", {})
    if isinstance(table, dict) and "decisions" in table:
        table = {**table, "decisions": {**DEFAULT_DECISIONS, **table["decisions"]}}
    try:
        return ScreeningConfig.model_validate(table)
    except ValidationError as exc:
        problems = "; ".join(
            f"screening.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScreeningConfigError(f"{settings_file}: {problems}") from None
