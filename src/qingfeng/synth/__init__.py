"""qingfeng.synth — a synthetic county (都匀市, Guizhou) with department files and ground truth.

`generate(out_dir, persons, seed, start, end)` writes one file per department export and
`truth.json`; docs/synth.md describes every file and column, `departments.py` the department
header of each standard field, README.md in this folder the planted models and their rules.
"""

from __future__ import annotations

from qingfeng.model_library import CORE_MODEL_IDS, MONEY_MODEL_IDS
from qingfeng.synth.generate import SynthError, SynthResult, WrittenFile, generate
from qingfeng.synth.truth import Planted, Truth

# The model ids the truth file uses (truth.json planted[].model): the library's core models, in
# their order, then the money models.
MODEL_IDS: tuple[str, ...] = CORE_MODEL_IDS + MONEY_MODEL_IDS
# Practitioners' models the county also plants (a few cases and lawful look-alikes each, in the
# department files the county writes); the others read datasets the county does not export.
PRACTICE_MODEL_IDS: tuple[str, ...] = (
    "exclusive_benefits_overlap",
    "hospital_split_or_phantom_bed",
    "official_kin_business_or_post_exit_job",
)

__all__ = [
    "MODEL_IDS",
    "PRACTICE_MODEL_IDS",
    "Planted",
    "SynthError",
    "SynthResult",
    "Truth",
    "WrittenFile",
    "generate",
]
