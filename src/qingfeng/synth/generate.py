"""`generate()`: writes the synthetic county's department files and its truth, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qingfeng.synth import county, dates, departments, render, tables
from qingfeng.synth.context import Context
from qingfeng.synth.plants import subsidy_after_death
from qingfeng.synth.plants.base import Plan, Pool
from qingfeng.synth.population import Persons, PopulationGenerator
from qingfeng.synth.truth import Truth
from qingfeng.synth.writers import FileWriter

CHUNK_PERSONS = 200_000
MIN_PERSONS = 1_000
TRUTH_FILE = "truth.json"

Progress = Callable[[int, int], None]


@dataclass
class WrittenFile:
    path: Path
    dataset: str
    rows: int  # data rows, duplicates and invalid rows included


@dataclass
class SynthResult:
    out_dir: Path
    files: list[WrittenFile]
    truth: Truth
    truth_path: Path | None
    seconds: float
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(f.rows for f in self.files)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


class SynthError(ValueError):
    """Bad arguments to the generator (too few people, empty period, ...)."""


def _check_args(out_dir: Path, persons: int, start: dt.date, end: dt.date) -> None:
    if persons < MIN_PERSONS:
        raise SynthError(f"人口数至少 {MIN_PERSONS} / --persons must be at least {MIN_PERSONS}")
    if end < start:
        raise SynthError(f"结束日期早于开始日期 / end {end} is before start {start}")
    if not (dt.date(1990, 1, 1) <= start and end <= dt.date(2035, 12, 31)):
        raise SynthError("日期范围须在 1990–2035 之间 / dates must lie within 1990-2035")
    if out_dir.exists() and not out_dir.is_dir():
        raise SynthError(f"{out_dir} 不是目录 / is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SynthError(f"{out_dir} 非空，不覆盖 / is not empty; refusing to overwrite")


def _choose_approvers(p: Persons, ctx: Context, pool: Pool) -> None:
    """One civil-affairs clerk per township: adults 30–55 from households with nobody ≥ 75."""
    age = p.age_on(ctx.start_day)
    old_households = np.unique(p.household[age >= 75])
    ok = (age >= 30) & (age <= 55) & (p.death_day < 0) & ~np.isin(p.household, old_households)
    for t in range(ctx.pay_dom.size):
        i = pool.take(ok, 1, "审批人（30–55岁）")[0]
        ctx.approver_id[t] = p.id_no[i]


def generate(
    out_dir: Path,
    persons: int,
    seed: int,
    start: dt.date,
    end: dt.date,
    *,
    write_truth: bool = True,
    chunk_persons: int = CHUNK_PERSONS,
    progress: Progress | None = None,
) -> SynthResult:
    """Write a synthetic county of `persons` people for `start`..`end` into `out_dir`."""
    out_dir = Path(out_dir)
    _check_args(out_dir, persons, start, end)
    t0 = time.perf_counter()
    ctx = Context(dates.day_of(start), dates.day_of(end))
    if ctx.months.size < 12:
        raise SynthError("日期范围至少 12 个月 / the period must span at least 12 months")
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = Truth(
        seed=seed,
        persons=persons,
        start=start.isoformat(),
        end=end.isoformat(),
        county=county.COUNTY_CODE,
    )
    pop = PopulationGenerator(np.random.default_rng([seed, 0]), ctx.start_day, ctx.end_day)
    writers = {f.key: FileWriter(out_dir, f) for f in departments.FILES}
    mess_counts: dict[str, Counter[str]] = {f.key: Counter() for f in departments.FILES}
    done = 0
    chunk_no = 0
    try:
        while done < persons:
            n = min(chunk_persons, persons - done)
            if chunk_no == 0 and persons - n < MIN_PERSONS and persons > n:
                n = persons  # never leave a tiny last chunk
            p = pop.chunk(n)
            plan = Plan()
            if chunk_no == 0:
                pool = Pool(p, ctx, np.random.default_rng([seed, 1]))
                _choose_approvers(p, ctx, pool)
                subsidy_after_death.plant(pool, plan)
                truth.planted.extend(plan.planted)
            _write_chunk(p, ctx, plan, writers, mess_counts, truth, seed, chunk_no)
            done += n
            chunk_no += 1
            if progress is not None:
                progress(done, persons)
    finally:
        for w in writers.values():
            w.close()
    files: list[WrittenFile] = []
    for f in departments.FILES:
        w = writers[f.key]
        files.extend(WrittenFile(path, f.dataset, 0) for path in w.paths)
        files[-1].rows = w.rows  # multi-part xlsx: row counts are per export
        truth.files.append(
            {
                "file": [path.name for path in w.paths],
                "key": f.key,
                "dataset": f.dataset,
                "department": f.department,
                "format": f.fmt,
                "encoding": f.encoding,
                "rows": w.rows,
                "columns": [{"header": c.header, "field": c.field} for c in f.columns],
                "constants": f.constants,
            }
        )
        truth.mess[f.key] = dict(sorted(mess_counts[f.key].items()))
    truth.invalid_rows.sort(key=lambda r: (r["file"], r["row"]))
    truth.duplicates.sort(key=lambda r: (r["file"], r["row"]))
    truth_path = None
    if write_truth:
        truth_path = out_dir / TRUTH_FILE
        truth.write(truth_path)
    return SynthResult(out_dir, files, truth, truth_path, time.perf_counter() - t0)


def _write_chunk(
    p: Persons,
    ctx: Context,
    plan: Plan,
    writers: dict[str, FileWriter],
    mess_counts: dict[str, Counter[str]],
    truth: Truth,
    seed: int,
    chunk_no: int,
) -> None:
    def emit(key: str, table: tables.Table, protected: np.ndarray) -> None:
        spec = departments.by_key(key)
        rng = np.random.default_rng([seed, 2, chunk_no, departments.FILES.index(spec)])
        out = render.render(spec, table, rng, protected)
        w = writers[key]
        base = w.rows
        for row, reason in out.invalid:
            name, r = w.locate(base + row)
            truth.invalid_rows.append({"file": name, "row": r, "reason": reason})
        for row, of in out.duplicates:
            name, r = w.locate(base + row)
            _, r0 = w.locate(base + of)
            truth.duplicates.append({"file": name, "row": r, "duplicate_of": r0})
        w.write(out.columns)
        mess_counts[key].update(out.counts)

    reg = tables.registry(p, ctx)
    emit("registry", reg, np.zeros(len(p), bool))

    extra = plan.rows.get("cremation")
    extra_t = None
    if extra:
        extra_t = extra[0]
        for t in extra[1:]:
            extra_t = tables.concat(extra_t, t)
    crem, crem_planted = tables.cremation(p, ctx, extra_t)
    emit("cremation", crem, crem_planted)

    who, month = tables.old_age_rows(p, ctx)
    pay = tables.payments(p, ctx, who, month)
    planted = np.zeros(who.size, bool)
    for pw, pm in plan.payments:
        pay = tables.concat(pay, tables.payments(p, ctx, pw, pm))
        planted = np.concatenate([planted, np.ones(pw.size, bool)])
    pay, planted = tables.finish_payments(pay, planted, ctx)
    emit("payments", pay, planted)
