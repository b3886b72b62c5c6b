"""The ground truth of a synthetic county: planted cases and decoys, invalid and duplicate rows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Planted:
    model: str
    subject_id: str  # normalised 18-character ID (or other subject key for non-person models)
    period: str  # YYYY-MM
    kind: Literal["case", "decoy"]
    note: str


@dataclass
class Truth:
    seed: int
    persons: int
    start: str
    end: str
    county: str
    files: list[dict[str, Any]] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)
    invalid_rows: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    mess: dict[str, dict[str, int]] = field(default_factory=dict)
    style: str = "standard"  # how the files are rendered (`qingfeng synth --style`)

    def cases(self, model: str | None = None) -> list[Planted]:
        return [p for p in self.planted if p.kind == "case" and model in (None, p.model)]

    def decoys(self, model: str | None = None) -> list[Planted]:
        return [p for p in self.planted if p.kind == "decoy" and model in (None, p.model)]

    def to_json(self) -> str:
        body = asdict(self)
        if body["style"] == "standard":
            del body["style"]  # the standard county's truth is unchanged by styles
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Truth:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            planted = [Planted(**p) for p in raw.pop("planted")]
            return cls(planted=planted, **raw)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"{path}: not a qingfeng truth file ({exc})") from exc
