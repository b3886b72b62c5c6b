"""The baseline to beat: Valentine's general-purpose schema matchers on the export styles.

Run in its own venv (`make baseline`; Valentine pins python-dateutil<3, which the product's
constraints do not allow), after `qingfeng drill styles OUT` has written OUT/<style>/county and
OUT/<style>/truth.json for `standard` and the other styles:

    .venv-baseline/bin/python scripts/valentine_baseline.py OUT [--rows 300] [--matchers sf,coma]

Each styled file is matched against the standard rendering of the same department file (told
which standard table(s) it belongs to: both, for a file that carries two), one-to-one. A source
column is right when the standard columns it is matched to carry every (dataset, field) the truth
says it carries: the same score as `qingfeng drill styles` gives qingfeng's mappings. Writes
OUT/valentine.json and prints the share per style and matcher.

Standard library, pandas and valentine only: this script never imports qingfeng.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd


def read_table(path: Path, entry: dict[str, Any], rows: int) -> pd.DataFrame:
    """The first `rows` data rows of a department file, every cell as text."""
    skip = int(entry.get("title_rows", 0))
    if path.suffix == ".xlsx":
        df = pd.read_excel(path, dtype=str, skiprows=skip, nrows=rows, engine="openpyxl")
    else:
        df = pd.read_csv(
            path, dtype=str, skiprows=skip, nrows=rows, encoding=entry["encoding"] or "utf-8"
        )
    df.columns = [str(c).strip() for c in df.columns]
    return df.fillna("")


def targets(entry: dict[str, Any], column: dict[str, Any]) -> set[tuple[str, str]]:
    if "targets" in column:
        return {(d, f) for d, f in column["targets"]}
    return {(entry["dataset"], column["field"])} if column["field"] else set()


def matcher(name: str) -> Any:
    from valentine.algorithms import Coma, SimilarityFlooding

    if name == "sf":
        return SimilarityFlooding()
    if name == "coma":
        return Coma(use_instances=True)
    raise SystemExit(f"unknown matcher {name}; use sf or coma")


def match(source: pd.DataFrame, target: pd.DataFrame, name: str) -> dict[str, str]:
    """source column -> target column, one-to-one (Hungarian assignment over the scores)."""
    from valentine import valentine_match

    result = valentine_match([source, target], matcher(name), df_names=["source", "target"])
    out: dict[str, str] = {}
    for pair in result.one_to_one_hungarian():
        if pair.source_table == "source":
            out[pair.source_column] = pair.target_column
        else:
            out[pair.target_column] = pair.source_column
    return out


def score_style(out: Path, style: str, name: str, rows: int) -> dict[str, Any]:
    std_truth = json.loads((out / "standard" / "truth.json").read_text(encoding="utf-8"))
    std_files = {f["key"]: f for f in std_truth["files"]}
    truth = json.loads((out / style / "truth.json").read_text(encoding="utf-8"))
    right = total = 0
    files = []
    t0 = time.perf_counter()
    for entry in truth["files"]:
        source = read_table(out / style / "county" / entry["file"][0], entry, rows)
        got: dict[str, set[tuple[str, str]]] = {}
        for key in entry.get("sources", [entry["key"]]):
            std = std_files[key]
            target = read_table(out / "standard" / "county" / std["file"][0], std, rows)
            field_of = {c["header"]: c["field"] for c in std["columns"]}
            for s, t in match(source, target, name).items():
                if field_of.get(t):
                    got.setdefault(s, set()).add((std["dataset"], field_of[t]))
        f_right = f_total = 0
        for c in entry["columns"]:
            want = targets(entry, c)
            if not want:
                continue
            f_total += 1
            f_right += want <= got.get(c["header"], set())
        files.append({"file": entry["file"][0], "columns": f_total, "columns_right": f_right})
        right += f_right
        total += f_total
    return {
        "columns": total,
        "columns_right": right,
        "column_share": round(right / total, 4) if total else 0.0,
        "seconds": round(time.perf_counter() - t0, 1),
        "files": files,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="valentine_baseline")
    parser.add_argument("out", type=Path, help="the folder `qingfeng drill styles` wrote")
    parser.add_argument("--rows", type=int, default=300, help="data rows per table (sample)")
    parser.add_argument("--matchers", default="sf,coma", help="sf (SimilarityFlooding), coma")
    args = parser.parse_args(argv)
    # Each style once (`drill styles --oracle` also writes <style>+truth: the same files).
    styles = sorted(
        p.name for p in args.out.iterdir() if (p / "truth.json").exists() and "+" not in p.name
    )
    if "standard" not in styles:
        raise SystemExit(f"{args.out}: no standard/ rendering to match against")
    body: dict[str, Any] = {"rows": args.rows, "results": {}, "errors": {}}
    for name in args.matchers.split(","):
        for style in styles:
            try:
                res = score_style(args.out, style, name, args.rows)
            except Exception as exc:  # reported with the error, as the baseline ran
                body["errors"][f"{name}/{style}"] = "".join(
                    traceback.format_exception_only(type(exc), exc)
                ).strip()
                print(f"{name:5} {style:10} error: {body['errors'][f'{name}/{style}']}")
                continue
            body["results"].setdefault(name, {})[style] = res
            print(
                f"{name:5} {style:10} {res['column_share']:.0%} "
                f"({res['columns_right']}/{res['columns']}) in {res['seconds']} s"
            )
    (args.out / "valentine.json").write_text(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"JSON: {args.out / 'valentine.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
