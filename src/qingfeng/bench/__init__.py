"""Benchmarks (`make bench`, `python -m qingfeng.bench [--only NAME]`).

Every module in this package that defines `run(console)` is a benchmark; it prints its own figures
(ratios against hand-written DuckDB SQL or a pandas baseline measured in the same run) and may
return a dict with `passed: False` when a target is missed. Helper modules define no `run`.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from types import ModuleType


def benchmarks() -> dict[str, ModuleType]:
    """name → module, for every module of this package that has a `run(console)`."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found
