"""Run the benchmarks: `python -m qingfeng.bench [--only NAME ...]`."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from qingfeng.bench import benchmarks


def main(argv: list[str] | None = None) -> int:
    found = benchmarks()
    parser = argparse.ArgumentParser(prog="python -m qingfeng.bench")
    parser.add_argument("--only", action="append", choices=sorted(found), help="run only NAME")
    args = parser.parse_args(argv)
    console = Console()
    failed = []
    for name in args.only or list(found):
        console.rule(f"bench: {name}")
        result = found[name].run(console) or {}
        if isinstance(result, dict) and result.get("passed", True) is False:
            failed.append(name)
    if failed:
        console.print(f"[bold red]未达标 / below target:[/] {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
