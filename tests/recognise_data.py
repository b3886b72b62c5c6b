"""Values as department systems export them, for recognition tests: valid resident IDs and
credit codes (real check digits), plates, dates in several formats, names, amounts.

Deterministic (seeded) and independent of the synthetic county, so the recognition tests do not
lean on its wordings or its value generators.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华兰"


def resident_id(rng: random.Random) -> str:
    body = (
        "5201"
        + f"{rng.randint(1, 30):02d}"
        + f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        + f"{rng.randint(0, 999):03d}"
    )
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def uscc(rng: random.Random) -> str:
    body = (
        "9152"
        + f"{rng.randint(0, 9999):04d}"
        + "".join(rng.choice(_USCC_ALPHABET) for _ in range(9))
    )
    body = body[:2] + body[2:8] + body[8:17]
    total = sum(_USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def company(rng: random.Random) -> str:
    return (
        rng.choice(["贵阳", "遵义", "安顺"])
        + rng.choice(["宏达", "鑫源", "恒通", "华兴"])
        + (rng.choice(["建筑工程有限公司", "商贸有限公司", "农业专业合作社", "物流有限公司"]))
    )


def plate(rng: random.Random) -> str:
    return (
        "贵"
        + rng.choice("ABCDEFGHJ")
        + "".join(rng.choice("0123456789ABCDEFGHJK") for _ in "12345")
    )


def vin(rng: random.Random) -> str:
    return "LSV" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(14))


def date(rng: random.Random, year: int = 2023) -> str:
    y, m, d = rng.randint(year - 10, year), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}/{m}/{d}"])


def timestamp(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:" + (
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    )


def amount(rng: random.Random, low: int = 50, high: int = 5000) -> str:
    return f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}"


def digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def phone(rng: random.Random) -> str:
    return "13" + digits(rng, 9)


Column = tuple[str, Callable[[random.Random], str]]


def table(columns: list[Column], rows: int = 60, seed: int = 1) -> list[list[str]]:
    """A header row and `rows` rows of values, each column from its generator."""
    rng = random.Random(seed)
    return [[h for h, _ in columns]] + [[g(rng) for _, g in columns] for _ in range(rows)]


def samples(t: list[list[str]]) -> tuple[list[str], dict[str, list[str]]]:
    headers = t[0]
    return headers, {h: [r[i] for r in t[1:] if r[i]] for i, h in enumerate(headers)}
