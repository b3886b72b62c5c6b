"""Benchmark: recognising a large file reads a bounded sample, so its time does not grow with size.

`run` generates a subsidy-payments CSV of QINGFENG_BENCH_RECOGNISE_ROWS rows (default
10,000,000, with the generator of the ingest bench) and times what `qingfeng ingest` does before
it normalises anything: open the source, read the sample, profile it and propose the mapping.
Target: ≤ 2 s.

`python -m qingfeng.bench.recognise --county DIR` instead measures recognition on a synthetic
county written by `qingfeng synth` (no saved mapping): per file the dataset proposed, whether it
would be accepted with `--yes`, and the share of columns put on the field the generator knows
they carry (qingfeng.synth.departments).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console

TARGET_SECONDS = 2.0


def recognise_file(path: Path, staging: Path) -> list[tuple[str, object]]:
    """(source name, Proposal) for every table of a file, as the ingest recognises it."""
    from qingfeng.ingest import readers
    from qingfeng.ingest.mapping import propose
    from qingfeng.ingest.pipeline import _connection, _sources
    from qingfeng.ingest.profile import profile_samples, read_sample

    con = _connection(staging)
    out: list[tuple[str, object]] = []
    try:
        for src in _sources(path, readers.file_kind(path) or "", staging, con):
            profiles = profile_samples(read_sample(con, src), con=con)
            out.append((src.name, propose(src.headers, src.name, profiles=profiles)))
    finally:
        con.close()
    return out


def run(console: Console) -> dict[str, object]:
    from qingfeng.bench.ingest import generate_csv
    from qingfeng.dataspec import load_catalogue
    from qingfeng.ingest import readers
    from qingfeng.ingest.mapping import propose
    from qingfeng.ingest.pipeline import _connection
    from qingfeng.ingest.profile import profile_samples, read_sample

    rows = int(os.environ.get("QINGFENG_BENCH_RECOGNISE_ROWS", "10000000"))
    with tempfile.TemporaryDirectory(prefix="qf-bench-recognise-") as tmp:
        path = generate_csv(Path(tmp) / "补贴发放.csv", rows)
        size = path.stat().st_size
        # Fixed costs of any ingest, paid before recognition: the catalogue and a DuckDB
        # connection with the normaliser's macros.
        t0 = time.perf_counter()
        load_catalogue()
        con = _connection(Path(tmp) / "staging")
        setup = time.perf_counter() - t0
        steps: dict[str, float] = {}
        w0, c0 = time.perf_counter(), time.process_time()
        src = readers.read_csv_source(path, Path(tmp) / "staging")
        steps["open"] = time.perf_counter() - w0
        t = time.perf_counter()
        samples = read_sample(con, src)
        steps["sample"] = time.perf_counter() - t
        t = time.perf_counter()
        profiles = profile_samples(samples, con=con)
        steps["profile"] = time.perf_counter() - t
        t = time.perf_counter()
        proposal = propose(src.headers, src.name, profiles=profiles)
        steps["propose"] = time.perf_counter() - t
        seconds, cpu = time.perf_counter() - w0, time.process_time() - c0
        con.close()
    dataset = proposal.mapping.dataset if proposal.mapping else None
    passed = seconds <= TARGET_SECONDS and dataset == "subsidy_payments"
    parts = ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
    console.print(
        f"recognise {rows:,} rows ({size / 1e9:.2f} GB): {seconds:.2f} s wall, {cpu:.2f} s CPU "
        f"({parts}) → {dataset}; target ≤ {TARGET_SECONDS:.0f} s {'✓' if passed else '✗'}; "
        f"setup before it (catalogue, connection): {setup:.2f} s"
    )
    return {"passed": passed, "seconds": seconds, "rows": rows}


def evaluate_county(folder: Path, console: Console) -> tuple[int, int, int, int]:
    """Print per file the proposal against the generator's truth; return (columns right,
    columns with a field, files whose dataset is right, files)."""
    from qingfeng.synth.departments import FILES

    by_name = {f.file_name: f for f in FILES}
    right = total = files_right = files = 0
    with tempfile.TemporaryDirectory(prefix="qf-eval-") as tmp:
        for path in sorted(folder.iterdir()):
            spec = by_name.get(path.name)
            if spec is None:
                continue
            for name, proposal in recognise_file(path, Path(tmp)):
                mapping = getattr(proposal, "mapping", None) or getattr(proposal, "draft", None)
                files += 1
                ok = mapping is not None and mapping.dataset == spec.dataset
                files_right += ok and getattr(proposal, "mapping", None) is not None
                wrong = []
                for c in spec.columns:
                    if c.field is None:
                        continue
                    total += 1
                    got = mapping.columns.get(c.header) if ok and mapping else None
                    if got == c.field:
                        right += 1
                    else:
                        wrong.append(f"{c.header}→{got} (want {c.field})")
                confident = getattr(proposal, "confident", False)
                top = ", ".join(
                    f"{c.dataset} {c.score:.2f}{'' if c.complete else '*'}"
                    for c in getattr(proposal, "candidates", ())[:3]
                )
                console.print(
                    f"{name}: ({top}) {mapping.dataset if mapping else None} "
                    f"{'confident' if confident else 'NOT confident'}"
                    + (f"; wrong: {', '.join(wrong)}" if wrong else "")
                    + ("" if confident else f"; {'; '.join(getattr(proposal, 'doubts', ()))}")
                )
    console.print(
        f"columns on the right field: {right}/{total} ({right / max(total, 1):.1%}); "
        f"files with the right dataset: {files_right}/{files}"
    )
    return right, total, files_right, files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qingfeng.bench.recognise")
    parser.add_argument("--county", type=Path, help="a folder written by `qingfeng synth`")
    args = parser.parse_args(argv)
    console = Console()
    if args.county:
        evaluate_county(args.county, console)
        return 0
    return 0 if run(console).get("passed") else 1


if __name__ == "__main__":
    raise SystemExit(main())
