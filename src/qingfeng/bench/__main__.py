"""Run the benchmarks: `python -m qingfeng.bench [--only NAME ...]`."""

from __future__ import annotations

import argparse
from importlib import import_module

from rich.console import Console

from qingfeng.bench import BENCHMARKS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m qingfeng.bench")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these")
    args = parser.parse_args(argv)
    console = Console()
    for name in args.only or BENCHMARKS:
        import_module(f"qingfeng.bench.{name}").run(console)


if __name__ == "__main__":
    main()
