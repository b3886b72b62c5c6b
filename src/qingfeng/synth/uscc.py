"""Unified social credit codes (GB 32100-2015) for the county's organisations.

Code = registration authority (1) + organisation category (1) + division code (6) + organisation
code (9, GB 11714, with its own check character) + check character. Only all-digit prefixes are
used (11 government organ, 12 public institution, 91 company, 92 sole trader) so python-stdnum's
cn.uscc accepts every code. Organisations are few, so plain Python here is fine.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_W18 = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_W9 = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body8: str) -> str:
    c = 11 - sum(int(d) * w for d, w in zip(body8, _W9, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def check_char(body17: str) -> str:
    s = sum(ALPHABET.index(ch) * w for ch, w in zip(body17, _W18, strict=True))
    return ALPHABET[(31 - s % 31) % 31]


def make(prefix: str, division: str, serials: np.ndarray) -> np.ndarray:
    """Codes for distinct serial numbers (< 10**8) under a 2-digit prefix and 6-digit division."""
    out = []
    for s in serials.tolist():
        body8 = f"{(s * 7919 + 10000003) % 10**8:08d}"
        body17 = f"{prefix}{division}{body8}{_org_check(body8)}"
        out.append(body17 + check_char(body17))
    return np.array(out)


def wrong_check(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = []
    for c in codes.tolist():
        right = ALPHABET.index(c[17]) if c[17] in ALPHABET else 0
        wrong = ALPHABET[(right + int(rng.integers(1, 10))) % 31]
        out.append(c[:17] + wrong)
    return np.array(out)
