"""Score the model library against a synthetic county's ground truth (truth.json).

The truth lists planted cases (must be found) and decoys (must not be found) per model, each as
(model, subject_id, period). A warning is a true positive when its (model_id, subject_id, period)
is a planted case; any other warning of that model is a false positive, and a decoy hit is named
separately because a model must hit none. Recall = cases found / cases planted; precision = true
positives / warnings of the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Key = tuple[str, str]  # (subject_id, period)

KINDS = ("case", "decoy")


@dataclass(frozen=True)
class Planted:
    model: str
    subject_id: str
    period: str
    kind: str  # "case" or "decoy"


@dataclass
class ModelScore:
    """How one model did against the planted truth."""

    model_id: str
    cases: int = 0
    decoys: int = 0
    warnings: int = 0
    true_positives: int = 0
    false_positives: int = 0
    decoys_hit: list[Key] = field(default_factory=list)
    missed: list[Key] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.cases if self.cases else None

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.warnings if self.warnings else None

    def passes(self, min_precision: float = 0.95) -> bool:
        """The bar a model must meet: every case found, precision at least `min_precision`, no
        decoy hit."""
        if not self.cases:
            return False
        precision = self.precision if self.precision is not None else 0.0
        return self.recall == 1.0 and precision >= min_precision and not self.decoys_hit

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "cases": self.cases,
            "decoys": self.decoys,
            "warnings": self.warnings,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "recall": self.recall,
            "precision": self.precision,
            "decoys_hit": [list(k) for k in self.decoys_hit],
            "missed": [list(k) for k in self.missed],
        }


def load_truth(path: Path) -> list[Planted]:
    """The planted entries of a truth file; ValueError naming the file and entry at fault."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: 无法读取真值文件 / cannot read the truth file ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: 不是 JSON / not JSON ({exc})") from None
    return parse_truth(raw, source=str(path))


def parse_truth(raw: Any, source: str = "<truth>") -> list[Planted]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("planted"), list):
        raise ValueError(
            f"{source}: 缺少 planted 列表 / no `planted` list: not a qingfeng truth file"
        )
    out = []
    for i, entry in enumerate(raw["planted"]):
        where = f"{source}: planted[{i}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} is not an object")
        missing = [k for k in ("model", "subject_id", "period", "kind") if not entry.get(k)]
        if missing:
            raise ValueError(f"{where} lacks {', '.join(missing)}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        out.append(
            Planted(
                model=str(entry["model"]),
                subject_id=str(entry["subject_id"]),
                period=str(entry["period"]),
                kind=str(entry["kind"]),
            )
        )
    return out


def score(
    warnings: Iterable[tuple[str, str, str]],
    truth: Iterable[Planted] | Mapping[str, Any],
) -> dict[str, ModelScore]:
    """Per-model precision and recall of `warnings` ((model_id, subject_id, period) triples)
    against the truth (planted entries, or the parsed truth.json). Models appear when they have
    planted entries or warnings; sorted by model id."""
    planted = parse_truth(truth) if isinstance(truth, Mapping) else list(truth)
    cases: dict[str, set[Key]] = {}
    decoys: dict[str, set[Key]] = {}
    for p in planted:
        target = cases if p.kind == "case" else decoys
        target.setdefault(p.model, set()).add((p.subject_id, p.period))
    found: dict[str, set[Key]] = {}
    for model_id, subject_id, period in warnings:
        found.setdefault(str(model_id), set()).add((str(subject_id), str(period)))

    scores: dict[str, ModelScore] = {}
    for model_id in sorted(set(cases) | set(decoys) | set(found)):
        want = cases.get(model_id, set())
        avoid = decoys.get(model_id, set())
        got = found.get(model_id, set())
        scores[model_id] = ModelScore(
            model_id=model_id,
            cases=len(want),
            decoys=len(avoid),
            warnings=len(got),
            true_positives=len(got & want),
            false_positives=len(got - want),
            decoys_hit=sorted(got & avoid),
            missed=sorted(want - got),
        )
    return scores
