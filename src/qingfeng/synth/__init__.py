"""qingfeng.synth — a synthetic county (都匀市) with department-style files and ground truth.

`generate(out_dir, persons, seed, start, end)` writes the files and `truth.json`; see
docs/synth.md for every file and column, and `departments.py` for the header of each standard field.

Model ids planted (truth.json `planted[].model`):
- `subsidy_after_death` — a subsidy paid (pay_date) after the recipient's death (any death source);
  period = the payment's period (YYYY-MM), one entry per person and paid period after death.
"""

from __future__ import annotations

from qingfeng.synth.generate import SynthError, SynthResult, WrittenFile, generate
from qingfeng.synth.truth import Planted, Truth

__all__ = ["Planted", "SynthError", "SynthResult", "Truth", "WrittenFile", "generate"]
