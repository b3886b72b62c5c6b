"""Parameter profiles (参数方案): the values of model parameters that vary by province or year.

A profile is a YAML file `{id, name, description, extends?, parameters}` where `parameters`
maps model id → {parameter: value}.
The built-in `national` profile (model_library/profiles/national.yaml) states the national defaults;
a
workspace may add its province's own in `<workspace>/profiles/<id>.yaml` (usually
`extends: national`). qingfeng.toml picks one with `model_profile = "..."` and overrides single
values under `[model_overrides.<model_id>]`. What a run used is stored with the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qingfeng.settings import Settings

BUILT_IN = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "national"


class ProfileError(ValueError):
    """A profile that cannot be used: unknown, malformed, or naming unknown models or parameters."""


@dataclass
class Profile:
    id: str
    name: str
    source: str  # the file it came from
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"参数方案无法读取 / profile {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("id") != path.stem:
        raise ProfileError(f"参数方案 {path}: 'id' must equal the file name ({path.stem})")
    params = raw.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ProfileError(f"参数方案 {path}: parameters must map model id → {{parameter: value}}")
    return raw


def _find(name: str, workspace: Path | None) -> Path:
    candidates = ([workspace / "profiles" / f"{name}.yaml"] if workspace else []) + [
        BUILT_IN / f"{name}.yaml"
    ]
    for path in candidates:
        if path.is_file():
            return path
    known = sorted(
        {
            p.stem
            for d in (BUILT_IN, workspace and workspace / "profiles")
            if d and Path(d).is_dir()
            for p in Path(d).glob("*.yaml")
        }
    )
    raise ProfileError(f"没有此参数方案 / no such profile: {name} (known: {', '.join(known)})")


def load_profile(name: str, workspace: Path | None = None) -> Profile:
    """The profile with its `extends` chain applied (the named profile's values win)."""
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = name
    path = None
    while current:
        if current in seen:
            raise ProfileError(f"参数方案循环继承 / profile {name} extends itself via {current}")
        seen.add(current)
        p = _find(current, workspace)
        path = path or p
        raw = _read(p)
        chain.append(raw)
        current = raw.get("extends")
    merged: dict[str, dict[str, Any]] = {}
    for raw in reversed(chain):
        for model_id, values in (raw.get("parameters") or {}).items():
            merged.setdefault(model_id, {}).update(values)
    title = chain[0].get("name") or {}
    return Profile(
        id=name,
        name=title.get("zh", name) if isinstance(title, dict) else str(title),
        source=str(path),
        parameters=merged,
    )


def check_against(
    profile: Profile, specs: dict[str, Any], overrides: dict[str, dict[str, Any]]
) -> None:
    """Refuse a profile or override naming a model or parameter the library does not have."""
    problems = []
    for where, table in (
        ("profile " + profile.id, profile.parameters),
        ("model_overrides", overrides),
    ):
        for model_id, values in table.items():
            spec = specs.get(model_id)
            if spec is None:
                problems.append(f"{where}: unknown model {model_id}")
                continue
            for param in values:
                if param not in spec.parameters:
                    problems.append(f"{where}: {model_id} has no parameter {param}")
    if problems:
        raise ProfileError("参数方案有误 / profile problems:\n  - " + "\n  - ".join(problems))


def run_parameters(
    settings: Settings, specs: dict[str, Any]
) -> tuple[str, dict[str, dict[str, Any]]]:
    """The workspace's profile id and, per model, the parameter values it sets (profile, then the
    single-value overrides of qingfeng.toml)."""
    profile = load_profile(settings.model_profile or DEFAULT_PROFILE, settings.workspace)
    overrides = settings.model_overrides or {}
    check_against(profile, specs, overrides)
    merged = {m: dict(v) for m, v in profile.parameters.items()}
    for model_id, values in overrides.items():
        merged.setdefault(model_id, {}).update(values)
    return profile.id, merged
