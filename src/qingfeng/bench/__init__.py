"""Benchmarks (`make bench` / `python -m qingfeng.bench [--only NAME]`).

Each module in BENCHMARKS exposes `run(console) -> None` and prints its own figures.
"""

from __future__ import annotations

BENCHMARKS: tuple[str, ...] = ("engine",)
