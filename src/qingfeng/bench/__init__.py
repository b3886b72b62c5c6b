"""Benchmarks (`make bench`, `python -m qingfeng.bench [--only NAME]`). Each module named in
BENCHMARKS exposes `run(console) -> dict` and prints its own figures."""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    "portal": "qingfeng.bench.portal",
}
