"""How the ingest copes with each style: `qingfeng drill styles OUT`.

For each style: write the county in that style, init a fresh workspace, ingest every file with
`--yes` and no saved mapping, build the libraries, run every model, and compare with the truth:

- files recognised: the datasets the ingest's saved mappings (confirmed or draft) give a file
  equal the file's datasets (both, for a file that carries two); files landed: files with rows
  in the lake;
- columns on the right field: of the columns that carry a standard field, the share whose header
  the saved mappings put on every (dataset, field) it carries; unrelated columns a style adds
  (operator, export time) that were mapped to a field are counted apart ("spurious");
- columns right when told the dataset: the same comparison for the mapping the ingest proposes
  when it is given each dataset the file carries (`--dataset`), as a schema matcher told the
  target table is scored (the Valentine baseline, src/qingfeng/bench/valentine_baseline.py);
- rows landed vs expected: rows written minus the invalid and duplicate rows the truth lists;
- each core model's recall, precision and decoys hit (`qingfeng.model_library.evaluate.score`).

With `oracle`, every file's mapping is written from the truth (confirmed) before the ingest:
recognition is then perfect by construction, and what is left to measure is how the ingest
handles the values and layouts (code values, percentages, periods, 万元, files carrying two
datasets). A file carrying two datasets gets the child's mapping (every row is a child row).

The workspaces stay in OUT for inspection (mappings, ingest reports, the lake).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The target: every core model at recall and precision at least this, no decoy hit.
MODEL_BAR = 0.95

Log = Callable[[str], None]


@dataclass
class FileResult:
    file: str
    datasets: list[str]  # the truth
    recognised_as: list[str]  # datasets of the ingest's mappings for this file
    columns: int  # columns carrying a standard field
    columns_right: int
    spurious: int  # unrelated columns the style added, mapped to a field
    rows_written: int
    rows_expected: int
    rows_landed: int
    wrong_columns: list[str] = field(default_factory=list)  # "header → got (want)"
    columns_right_told: int = 0  # right when the ingest is told the dataset(s)

    @property
    def recognised(self) -> bool:
        return sorted(self.recognised_as) == sorted(self.datasets)


@dataclass
class ModelResult:
    model_id: str
    cases: int
    warnings: int
    found: int
    recall: float | None
    precision: float | None
    decoys_hit: int

    @property
    def at_target(self) -> bool:
        return (
            self.recall is not None
            and self.recall >= MODEL_BAR
            and (self.precision or 0.0) >= MODEL_BAR
            and self.decoys_hit == 0
        )


@dataclass
class StyleResult:
    style: str
    held_out: bool
    oracle: bool
    files: list[FileResult]
    models: list[ModelResult]
    seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def files_recognised(self) -> int:
        return sum(f.recognised for f in self.files)

    @property
    def column_share(self) -> float:
        total = sum(f.columns for f in self.files)
        return sum(f.columns_right for f in self.files) / total if total else 0.0

    @property
    def column_share_told(self) -> float:
        total = sum(f.columns for f in self.files)
        return sum(f.columns_right_told for f in self.files) / total if total else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "held_out": self.held_out,
            "oracle": self.oracle,
            "files": len(self.files),
            "files_recognised": self.files_recognised,
            "files_landed": sum(f.rows_landed > 0 for f in self.files),
            "columns": sum(f.columns for f in self.files),
            "columns_right": sum(f.columns_right for f in self.files),
            "column_share": round(self.column_share, 4),
            "columns_right_told": sum(f.columns_right_told for f in self.files),
            "column_share_told": round(self.column_share_told, 4),
            "spurious_columns": sum(f.spurious for f in self.files),
            "rows_written": sum(f.rows_written for f in self.files),
            "rows_expected": sum(f.rows_expected for f in self.files),
            "rows_landed": sum(f.rows_landed for f in self.files),
            "core_models": len(self.models),
            "models_at_target": sum(m.at_target for m in self.models),
            "models_finding_cases": sum(m.found > 0 for m in self.models),
            "cases": sum(m.cases for m in self.models),
            "cases_found": sum(m.found for m in self.models),
            "decoys_hit": sum(m.decoys_hit for m in self.models),
            "seconds": round(self.seconds, 1),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "files": [asdict(f) | {"recognised": f.recognised} for f in self.files],
            "models": [asdict(m) | {"at_target": m.at_target} for m in self.models],
            "errors": self.errors,
        }


# ------------------------------------------------------------------------------ mappings
def _mapping_parts(node: Any) -> Iterator[dict[str, Any]]:
    """Every {dataset, columns} object in a saved mapping (a file split into two datasets may
    hold one per dataset)."""
    if isinstance(node, dict):
        if isinstance(node.get("dataset"), str) and isinstance(node.get("columns"), dict):
            yield node
        for v in node.values():
            yield from _mapping_parts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _mapping_parts(v)


def saved_mappings(folder: Path) -> list[tuple[frozenset[str], str, dict[str, str | None]]]:
    """(headers, dataset, header → field) of every mapping the ingest saved."""
    out = []
    for path in sorted(folder.rglob("*.yaml")) if folder.exists() else []:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        for part in _mapping_parts(doc):
            cols = {str(k).strip(): (str(v) if v else None) for k, v in part["columns"].items()}
            headers = part.get("headers") or doc.get("headers") or list(cols)
            out.append((frozenset(str(h).strip() for h in headers), part["dataset"], cols))
    return out


def _targets(entry: dict[str, Any], column: dict[str, Any]) -> set[tuple[str, str]]:
    """The (dataset, field) pairs a truth column carries (the standard truth names one)."""
    if "targets" in column:
        return {(d, f) for d, f in column["targets"]}
    return {(entry["dataset"], column["field"])} if column["field"] else set()


def score_columns(
    entry: dict[str, Any], mine: list[tuple[str, dict[str, str | None]]]
) -> tuple[int, int, list[str]]:
    """(right, total, wrong) over the columns of a truth entry that carry a standard field: a
    column is right when the mappings put its header on every (dataset, field) it carries."""
    got: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for ds, cols in mine:
        for h, f in cols.items():
            if f:
                got[h].add((ds, f))
    right = total = 0
    wrong = []
    for c in entry["columns"]:
        targets = _targets(entry, c)
        if not targets:
            continue
        total += 1
        if targets <= got.get(c["header"], set()):
            right += 1
        else:
            have = ", ".join(sorted(f"{d}.{f}" for d, f in got.get(c["header"], set()))) or "—"
            want = ", ".join(sorted(f"{d}.{f}" for d, f in targets))
            wrong.append(f"{c['header']} → {have} ({want})")
    return right, total, wrong


def score_file(
    entry: dict[str, Any],
    mappings: list[tuple[frozenset[str], str, dict[str, str | None]]],
    rows_expected: int,
    rows_landed: int,
) -> FileResult:
    """Compare the mappings of one file (matched by its header set) with the truth entry."""
    headers = frozenset(c["header"] for c in entry["columns"])
    mine = [(ds, cols) for hs, ds, cols in mappings if hs == headers]
    mapped = {h for _, cols in mine for h, f in cols.items() if f}
    datasets = entry.get("datasets") or [entry["dataset"]]
    right, total, wrong = score_columns(entry, mine)
    spurious = sum(bool(c.get("unrelated")) and c["header"] in mapped for c in entry["columns"])
    return FileResult(
        file=entry["file"][0],
        datasets=list(datasets),
        recognised_as=sorted({ds for ds, _ in mine}),
        columns=total,
        columns_right=right,
        spurious=spurious,
        rows_written=int(entry["rows"]),
        rows_expected=rows_expected,
        rows_landed=rows_landed,
        wrong_columns=wrong,
    )


def told_mapping(path: Path, dataset: str, staging: Path) -> dict[str, str | None]:
    """header → field the ingest proposes for `path` when told its dataset (what it could map,
    even when a required field is missing)."""
    from qingfeng.dataspec import get_dataset
    from qingfeng.ingest import mapping, readers

    staging.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        src = readers.read_csv_source(path, staging)
    else:
        src = next(iter(readers.read_excel_sources(path, staging)))
    proposal = mapping.propose(src.headers, src.name, dataset, src.samples())
    if proposal.mapping is not None:
        return dict(proposal.mapping.columns)
    partial = mapping.map_headers(
        get_dataset(dataset), src.headers, [src.name, " ".join(src.headers)], src.samples()
    )
    return dict(partial.columns)


def write_truth_mappings(entries: list[dict[str, Any]], folder: Path) -> None:
    """Save, confirmed, the mapping the truth gives each file (the child's for a file carrying
    two datasets)."""
    from qingfeng.dataspec import header_unit
    from qingfeng.ingest.mapping import Mapping, save_mapping

    for entry in entries:
        dataset = (entry.get("datasets") or [entry["dataset"]])[-1]
        columns: dict[str, str | None] = {}
        for c in entry["columns"]:
            mine = [f for d, f in _targets(entry, c) if d == dataset]
            columns[c["header"]] = mine[0] if mine else None
        units = {h: u for h, f in columns.items() if f and (u := header_unit(h))}
        mapping = Mapping(
            dataset=dataset,
            headers=[c["header"] for c in entry["columns"]],
            columns=columns,
            constants=dict(entry.get("constants") or {}),
            units=units,
            confirmed=True,
        )
        save_mapping(folder, mapping)


# ------------------------------------------------------------------------------ one style
def measure_style(
    out_dir: Path,
    style: str,
    persons: int,
    seed: int,
    start: dt.date,
    end: dt.date,
    log: Log = lambda _m: None,
    *,
    oracle: bool = False,
) -> StyleResult:
    from qingfeng.ingest import ingest_path
    from qingfeng.model_library import CORE_MODEL_IDS
    from qingfeng.model_library.evaluate import score
    from qingfeng.store.findings import store_warnings
    from qingfeng.synth import generate
    from qingfeng.synth.styles import get_style
    from qingfeng.workspace import init_workspace

    t0 = time.perf_counter()
    held_out = get_style(style).held_out
    county = out_dir / "county"
    written = generate(county, persons, seed, start, end, style=style)
    truth_path = out_dir / "truth.json"
    assert written.truth_path is not None
    shutil.move(str(written.truth_path), truth_path)  # the answer key stays out of the ingest
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    settings = init_workspace(out_dir / "workspace")
    errors: list[str] = []
    if oracle:
        write_truth_mappings(truth["files"], settings.mappings_dir)
    log(f"{style}: ingest")
    report = ingest_path(settings, county, assume_yes=True)
    try:
        log(f"{style}: libraries")
        _build_libraries(settings)
    except Exception as exc:  # measured, not fixed: a style may leave a library unbuildable
        errors.append(f"libraries: {type(exc).__name__}: {exc}")
    try:
        log(f"{style}: models")
        from qingfeng.operations.model_runs import run_models

        summary = run_models(settings)
        errors += [f"model {r.model_id}: {r.error}" for r in summary.failed]
    except Exception as exc:
        errors.append(f"models: {type(exc).__name__}: {exc}")

    landed: dict[str, int] = defaultdict(int)
    for src in report.sources:
        name = Path(src.path).name
        landed[name] = max(landed[name], src.rows_loaded)
    dropped: dict[str, int] = defaultdict(int)
    for row in truth["invalid_rows"] + truth["duplicates"]:
        dropped[row["file"]] += 1
    mappings = saved_mappings(settings.mappings_dir)
    files = []
    for entry in truth["files"]:
        names = entry["file"]
        result = score_file(
            entry,
            mappings,
            rows_expected=int(entry["rows"]) - sum(dropped[n] for n in names),
            rows_landed=sum(landed[n] for n in names),
        )
        told = []
        for ds in result.datasets:
            try:
                told.append((ds, told_mapping(county / names[0], ds, out_dir / "told" / ds)))
            except Exception as exc:  # measured, not fixed
                errors.append(f"{names[0]} told {ds}: {type(exc).__name__}: {exc}")
        result.columns_right_told = score_columns(entry, told)[0]
        files.append(result)
    scores = score(store_warnings(settings.database_url), truth)
    models = []
    for model_id in CORE_MODEL_IDS:
        s = scores.get(model_id)
        if s is None:
            models.append(ModelResult(model_id, 0, 0, 0, None, None, 0))
            continue
        models.append(
            ModelResult(
                model_id=model_id,
                cases=s.cases,
                warnings=s.warnings,
                found=s.true_positives,
                recall=s.recall,
                precision=s.precision,
                decoys_hit=len(s.decoys_hit),
            )
        )
    return StyleResult(style, held_out, oracle, files, models, time.perf_counter() - t0, errors)


def _build_libraries(settings: Any) -> None:
    from qingfeng.lake import connect
    from qingfeng.subject_library import build_libraries
    from qingfeng.subject_library.attach import libraries_dir

    con = connect(settings)
    try:
        build_libraries(con, libraries_dir(settings.lake_dir))
    finally:
        con.close()


def measure(
    out_dir: Path,
    styles: list[str],
    persons: int,
    seed: int,
    start: dt.date = dt.date(2023, 1, 1),
    end: dt.date = dt.date(2024, 12, 31),
    log: Log = lambda _m: None,
    *,
    oracle: bool = False,
) -> list[StyleResult]:
    """Measure every style into out_dir/<style>/ (with `oracle`, also each style with the
    truth's mappings into out_dir/<style>+truth/) and write out_dir/styles.json."""
    from qingfeng.synth.styles import get_style

    for name in styles:
        get_style(name)  # unknown names fail before any work, with the list of styles
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} 非空，不覆盖 / is not empty; refusing to overwrite")
    results = []
    for name in styles:
        results.append(measure_style(out_dir / name, name, persons, seed, start, end, log))
        if oracle:
            results.append(
                measure_style(
                    out_dir / f"{name}+truth", name, persons, seed, start, end, log, oracle=True
                )
            )
    body = {
        "persons": persons,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "model_bar": MODEL_BAR,
        "styles": {r.style + ("+truth" if r.oracle else ""): r.to_json() for r in results},
    }
    (out_dir / "styles.json").write_text(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out_dir / "styles.md").write_text(markdown(body), encoding="utf-8")
    return results


def markdown(body: dict[str, Any]) -> str:
    """The per-style tables of docs/model-evaluation.md, from a styles.json body."""

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}"

    lines = [
        "| style | files right | columns right | columns right, told the dataset "
        "| rows landed / expected | core models at target | models finding cases "
        "| cases found | decoys hit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    styles = body["styles"]
    for r in styles.values():
        s = r["summary"]
        label = f"`{s['style']}`" + (" + truth mappings" if s.get("oracle") else "")
        label += " (held out)" if s["held_out"] else ""
        told = "—" if s.get("oracle") else f"{s['column_share_told']:.0%}"
        lines.append(
            f"| {label} | {s['files_recognised']}/{s['files']} "
            f"| {s['column_share']:.0%} ({s['columns_right']}/{s['columns']}) | {told} "
            f"| {s['rows_landed']:,} / {s['rows_expected']:,} "
            f"| {s['models_at_target']}/{s['core_models']} | {s['models_finding_cases']} "
            f"| {s['cases_found']}/{s['cases']} | {s['decoys_hit']} |"
        )
    lines += ["", "Recall / precision (decoys hit, when any) per core model:", ""]
    names = list(styles)
    lines.append("| model | " + " | ".join(f"`{n}`" for n in names) + " |")
    lines.append("| --- |" + " --- |" * len(names))
    first = styles[names[0]]["models"] if names else []
    for i, m in enumerate(first):
        cells = []
        for n in names:
            mm = styles[n]["models"][i]
            cell = f"{pct(mm['recall'])} / {pct(mm['precision'])}"
            cells.append(cell + (f" ({mm['decoys_hit']})" if mm["decoys_hit"] else ""))
        lines.append(f"| `{m['model_id']}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
