"""The built-in model library for tests, loaded once per test process.

Loading compiles every model (seconds each time), so tests share one load instead of calling
`load_models()` per case. Parametrised tests take `MODEL_IDS`, read from the file names (the
loader requires a model's id to be its file's name), so collecting the suite compiles nothing.
Treat the specs as read-only: every test of the process sees the same objects.
"""

from __future__ import annotations

from functools import cache

from qingfeng.engine import ModelSet, load_models
from qingfeng.engine.loader import library_dir, model_files

MODEL_IDS: list[str] = sorted(p.stem for p in model_files(library_dir()))


@cache
def built_in_models() -> ModelSet:
    return load_models()
