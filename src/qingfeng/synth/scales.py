"""Subsidy scales (yuan), modelled on Guizhou practice in 2023-2024.

Old-age allowance (高龄津贴): monthly, by completed age. Values are the parameters the generator
uses; the model library must not hard-code them.
"""

from __future__ import annotations

import numpy as np

OLD_AGE_TYPE = "高龄津贴"
# (minimum age, monthly amount), highest first.
OLD_AGE_MONTHLY: tuple[tuple[int, float], ...] = ((100, 300.0), (90, 100.0), (80, 50.0))
OLD_AGE_MIN_AGE = 80


def old_age_amount(age: np.ndarray) -> np.ndarray:
    out = np.zeros(age.shape, dtype=float)
    for min_age, amount in reversed(OLD_AGE_MONTHLY):
        out = np.where(age >= min_age, amount, out)
    return out
