"""What the back office knows about supervision models: names, fields, logic and legal basis.

The engine station owns the model specs; this adapter reads them when that station is installed
and otherwise falls back to the bare model ids found in the store, so pages never break.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from qingfeng.settings import Settings

log = logging.getLogger(__name__)

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


# The engine's spec names fields in Chinese; the back office keys them in English.
ENGINE_FIELDS = {
    "民生资金": "livelihood",
    "公职人员": "officials",
    "工程招投标": "procurement",
    "四风": "conduct",
    "校园餐": "school_meals",
    "农村三资": "rural_assets",
    "医保基金": "medical",
    "信访": "complaints",
    "其他": "other",
}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    name_en: str = ""
    field: str = "other"
    version: str = ""
    severity: str = ""  # the default (last) severity rule's level
    description: str = ""  # the model's logic in plain words
    legal_basis: list[str] = dataclasses.field(default_factory=list)
    parameters: dict[str, str] = dataclasses.field(default_factory=dict)  # name → default
    # name → (zh, en): what each parameter means, from the spec's description
    parameter_labels: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    inputs: list[str] = dataclasses.field(default_factory=list)
    tests: int = 0
    source: str = ""

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


def _legal(item: Any) -> str:
    parts = [getattr(item, "document", ""), getattr(item, "article", None) or ""]
    text = getattr(item, "text", None)
    # an unchecked citation is never shown as fact: its status leads the line
    status = "已核实" if getattr(item, "status", None) == "checked" else "待核实"
    return f"［{status}］" + "".join(parts) + (f"：{text}" if text else "")


def _described(description: Any) -> tuple[str, str]:
    """A parameter's description as (zh, en); a plain string serves both."""
    if description is None:
        return ("", "")
    if isinstance(description, str):
        return (description, description)
    zh = getattr(description, "zh", None) or ""
    en = getattr(description, "en", None) or ""
    return (zh or en, en or zh)


def load_model_catalogue(settings: Settings) -> dict[str, ModelInfo]:
    """Model id → info for the built-in library and the workspace's own models.

    Reads the engine station's specs when that package is installed; without it (or when the
    specs cannot be read) the pages fall back to bare model ids.
    """
    try:
        from qingfeng.engine.loader import load_models
    except ImportError:
        return {}
    try:
        models = load_models(settings.models_dir)
    except Exception as exc:  # a broken spec must not take the warnings pages down with it
        log.warning("model catalogue unavailable: %s: %s", type(exc).__name__, exc)
        return {}
    infos: dict[str, ModelInfo] = {}
    for model_id, spec in models.models.items():
        severity = spec.severity[-1].level if spec.severity else ""
        infos[model_id] = ModelInfo(
            id=model_id,
            name=spec.name.zh,
            name_en=spec.name.en,
            field=ENGINE_FIELDS.get(spec.field, "other"),
            version=spec.version,
            severity=severity,
            description=spec.description.strip(),
            legal_basis=[_legal(b) for b in spec.legal_basis],
            parameters={name: str(p.default) for name, p in spec.parameters.items()},
            parameter_labels={
                name: _described(p.description) for name, p in spec.parameters.items()
            },
            inputs=list(spec.inputs),
            tests=len(spec.tests),
            source=str(models.sources.get(model_id, "")),
        )
    return infos


def models_in_field(catalogue: dict[str, ModelInfo], field_key: str) -> list[str]:
    return sorted(m.id for m in catalogue.values() if m.field == field_key)
