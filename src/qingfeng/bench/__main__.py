"""Run the benchmarks: `python -m qingfeng.bench [--only NAME]`."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from rich.console import Console

from qingfeng.bench import BENCHMARKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qingfeng.bench")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only NAME")
    args = parser.parse_args(argv)
    console = Console()
    failed = []
    for name in args.only or list(BENCHMARKS):
        console.rule(f"bench: {name}")
        result = import_module(BENCHMARKS[name]).run(console)
        if not result.get("passed", True):
            failed.append(name)
    if failed:
        console.print(f"[bold red]未达标 / below target:[/] {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
