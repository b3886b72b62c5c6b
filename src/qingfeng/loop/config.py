"""Closed-loop settings: deadlines per stage and severity, the working-day calendar, thresholds.

They live in the workspace's qingfeng.toml under `[loop]` (the main Settings ignore that table):

    [loop]
    timezone = "Asia/Shanghai"
    due_soon_working_days = 2
    escalate_after_working_days = 5 # `qingfeng warnings remind` escalates to the parent unit
    [loop.deadlines.verifying]      # working days allowed in the stage, by severity
    red = 5
    [loop.calendar]
    national = true                           # the State Council's notices (qingfeng.holidays)
    holidays = ["2027-01-01"]                 # more days off: a year not yet shipped, a local one
    workdays = ["2027-02-20"]                 # more weekend days worked (调休上班)
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError, field_validator

from qingfeng.hits import SEVERITIES

TableT = TypeVar("TableT", bound=BaseModel)

# Stages that run against a deadline; every severity needs a number of working days for each.
TIMED_STAGES = ("dispatched", "verifying", "submitted", "disposed", "feedback", "follow_up")

DEFAULT_DEADLINES: dict[str, dict[str, int]] = {
    "dispatched": {"red": 1, "orange": 2, "yellow": 3, "blue": 5},  # sign for it
    "verifying": {"red": 10, "orange": 15, "yellow": 20, "blue": 30},  # verify
    "submitted": {"red": 3, "orange": 5, "yellow": 5, "blue": 5},  # review the findings
    "disposed": {"red": 10, "orange": 15, "yellow": 15, "blue": 20},  # rectification report
    "feedback": {"red": 5, "orange": 10, "yellow": 10, "blue": 10},  # start the follow-up
    "follow_up": {"red": 20, "orange": 30, "yellow": 30, "blue": 30},  # check it held
}


class CalendarConfig(BaseModel):
    weekend: list[int] = Field(default=[5, 6], description="Weekday numbers off (Mon=0).")
    national: bool = Field(
        default=True,
        description="Start from the State Council's holidays and 调休 days (qingfeng.holidays); "
        "holidays and workdays below are added to them and win over them.",
    )
    holidays: list[date] = Field(default_factory=list, description="Public holidays off.")
    workdays: list[date] = Field(
        default_factory=list, description="Weekend days that are worked (调休)."
    )


class ModelLoopConfig(BaseModel):
    """What a workspace declares about one model for the loop (`[loop.models.<model id>]`)."""

    expected_precision: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="The share of its warnings expected to be confirmed: the risk score's prior "
        "until outcomes are recorded.",
    )
    deadline_working_days: int | None = Field(
        default=None, ge=1, le=365, description="Working days to verify one of its warnings."
    )


class RiskConfig(BaseModel):
    """How strongly the prior counts against recorded outcomes (`[loop.risk]`)."""

    prior_precision: float = Field(default=0.5, ge=0, le=1)
    prior_strength: float = Field(
        default=4.0, gt=0, description="The prior counts as this many verified warnings."
    )


class LoopConfig(BaseModel):
    timezone: str = "Asia/Shanghai"
    deadlines: dict[str, dict[str, int]] = Field(default_factory=lambda: DEFAULT_DEADLINES)
    due_soon_working_days: int = Field(default=2, ge=0)
    escalate_after_working_days: int = Field(
        default=5,
        ge=0,
        description="Working days overdue after which the reminder job escalates a warning to "
        "the parent unit (again after as many more at each level); 0: never automatically.",
    )
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    models: dict[str, ModelLoopConfig] = Field(default_factory=dict)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    queue_badge_cap: int = Field(
        default=999, ge=1, description="Badges count up to this many, then show it with a '+'."
    )
    low_precision_threshold: float = Field(default=0.3, ge=0, le=1)
    low_precision_min_verified: int = Field(default=10, ge=1)
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    attachment_types: dict[str, str] = Field(
        default_factory=lambda: {
            ".pdf": "application/pdf",
            ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg",
            ".png": "image/png",
            ".txt": "text/plain",
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".ofd": "application/ofd",
        }
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @field_validator("deadlines")
    @classmethod
    def _complete(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        merged = {stage: dict(days) for stage, days in DEFAULT_DEADLINES.items()}
        for stage, days in value.items():
            if stage not in TIMED_STAGES:
                raise ValueError(f"unknown stage {stage!r}; stages with deadlines: {TIMED_STAGES}")
            for severity, n in days.items():
                if severity not in SEVERITIES:
                    raise ValueError(f"deadlines.{stage}: unknown severity {severity!r}")
                if not isinstance(n, int) or n < 1:
                    raise ValueError(f"deadlines.{stage}.{severity} must be a whole number ≥ 1")
                merged[stage][severity] = n
        return merged

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def verify_days(self, model_id: str, severity: str) -> int:
        """Working days to verify a warning: the model's declared number, else the default
        of the verifying stage for its severity (the dispatch form's prefilled deadline)."""
        declared = self.models.get(model_id)
        if declared is not None and declared.deadline_working_days:
            return declared.deadline_working_days
        return self.deadlines["verifying"].get(severity, self.deadlines["verifying"]["yellow"])


class LoopConfigError(ValueError):
    pass


def load_table(
    settings_file: Path, table: str, model: type[TableT], error: type[ValueError]
) -> TableT:
    """The `[table]` of a qingfeng.toml checked by `model` (its defaults when the file or the
    table is absent); `error` names the file and every field at fault (`mail.port: ...`)."""
    if not settings_file.exists():
        return model()
    try:
        data = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{settings_file}: {exc}") from None
    try:
        return model.model_validate(data.get(table, {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{table}.{'.'.join(str(p) for p in err['loc']) or '(table)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise error(f"{settings_file}: {problems}") from None


def load_loop_config(settings_file: Path) -> LoopConfig:
    """The `[loop]` table of a qingfeng.toml (defaults when the file or table is absent). Its
    time zone is the workspace's one `timezone` setting (environment, then the file's top level)
    unless `[loop]` names one of its own."""
    config = load_table(settings_file, "loop", LoopConfig, LoopConfigError)
    if "timezone" in config.model_fields_set:
        return config
    shared = os.environ.get("QINGFENG_TIMEZONE") or _top_level(settings_file, "timezone")
    if not shared:
        return config
    try:
        return LoopConfig.model_validate({**config.model_dump(), "timezone": shared})
    except ValidationError as exc:
        raise LoopConfigError(f"{settings_file}: timezone: {exc.errors()[0]['msg']}") from None


def _top_level(settings_file: Path, key: str) -> str | None:
    if not settings_file.exists():
        return None
    try:
        value = tomllib.loads(settings_file.read_text(encoding="utf-8")).get(key)
    except tomllib.TOMLDecodeError as exc:
        raise LoopConfigError(f"{settings_file}: {exc}") from None
    return value if isinstance(value, str) else None
