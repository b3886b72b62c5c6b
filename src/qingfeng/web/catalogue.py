"""What the back office knows about supervision models: names, fields, logic and legal basis.

The engine station owns the model specs; this adapter reads them when that station is installed
and otherwise falls back to the bare model ids found in the store, so pages never break.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from qingfeng.settings import Settings

# Fields (监督领域) a model belongs to; labels live in messages.yaml as field.<key>.
FIELDS = (
    "livelihood",
    "officials",
    "procurement",
    "conduct",
    "school_meals",
    "rural_assets",
    "medical",
    "complaints",
    "other",
)


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    field: str = "other"
    version: str = ""
    severity: str = ""
    description: str = ""  # the model's logic in plain words
    legal_basis: list[str] = dataclasses.field(default_factory=list)
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


def load_model_catalogue(settings: Settings) -> dict[str, ModelInfo]:
    """Model id → info for the built-in library and the workspace's own models, if available."""
    try:
        from qingfeng.engine.catalogue import list_models
    except ImportError:
        return {}
    infos: dict[str, ModelInfo] = {}
    for spec in list_models(settings):
        infos[spec.id] = ModelInfo(
            id=spec.id,
            name=getattr(spec, "name", spec.id),
            field=getattr(spec, "field", "other") or "other",
            version=str(getattr(spec, "version", "")),
            severity=str(getattr(spec, "severity", "")),
            description=str(getattr(spec, "description", "")),
            legal_basis=list(getattr(spec, "legal_basis", []) or []),
            parameters=dict(getattr(spec, "parameters", {}) or {}),
        )
    return infos


def models_in_field(catalogue: dict[str, ModelInfo], field_key: str) -> list[str]:
    return sorted(m.id for m in catalogue.values() if m.field == field_key)
