"""`generate()`: writes the synthetic county's department files and its truth, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from qingfeng.synth import civil, county, dates, departments, livelihood, render, scales, tables
from qingfeng.synth.context import Context
from qingfeng.synth.plants import (
    kin,
    lawful,
    money,
    officials,
    others,
    procurement,
    subsidy_after_death,
)
from qingfeng.synth.plants import livelihood as lv_plants
from qingfeng.synth.plants.base import NotEnoughPeople, Plan, Pool
from qingfeng.synth.population import Persons, PopulationGenerator
from qingfeng.synth.styles import Style, StyledFile, get_style, restyle
from qingfeng.synth.styles import build as build_style
from qingfeng.synth.truth import Truth
from qingfeng.synth.world import World
from qingfeng.synth.writers import FileWriter

CHUNK_PERSONS = 100_000
# Above this many persons the Excel exports come as CSV (UTF-8 with BOM), as departments do when
# a table outgrows Excel's 1,048,576 rows; writing millions of rows through xlsxwriter would also
# take hours.
EXCEL_PERSON_LIMIT = 500_000
MIN_PERSONS = 3_000
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


def _as_csv(f: departments.FileSpec) -> departments.FileSpec:
    stem = f.file_name.rsplit(".", 1)[0]
    return replace(f, fmt="csv", encoding="utf-8-sig", file_name=f"{stem}.csv")


def file_specs(persons: int) -> tuple[departments.FileSpec, ...]:
    if persons <= EXCEL_PERSON_LIMIT:
        return departments.FILES
    return tuple(_as_csv(f) if f.fmt == "xlsx" else f for f in departments.FILES)


def styled_files(persons: int, style: Style) -> list[StyledFile]:
    """The files a style writes for a county of `persons` (workbooks as CSV when too large)."""
    out = build_style(style, file_specs(persons))
    if persons > EXCEL_PERSON_LIMIT:
        out = [replace(f, spec=_as_csv(f.spec)) if f.spec.fmt == "xlsx" else f for f in out]
    return out


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
    style: str = "standard",
) -> SynthResult:
    """Write a synthetic county of `persons` people for `start`..`end` into `out_dir`, as the
    named style's systems export it (`qingfeng.synth.styles`; the truth is the same)."""
    out_dir = Path(out_dir)
    try:
        chosen = get_style(style)
    except KeyError as exc:
        raise SynthError(str(exc.args[0])) from None
    _check_args(out_dir, persons, start, end)
    t0 = time.perf_counter()
    ctx = Context(dates.day_of(start), dates.day_of(end))
    if ctx.months.size < 12:
        raise SynthError("日期范围至少 12 个月 / the period must span at least 12 months")
    truth = Truth(
        seed=seed,
        persons=persons,
        start=start.isoformat(),
        end=end.isoformat(),
        county=county.COUNTY_CODE,
        style=chosen.name,
    )
    # Everything is written into a sibling work folder first and moved into place at the end,
    # so a failed run leaves no half-written county behind.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        result = _generate(
            work, persons, seed, ctx, truth, write_truth, chunk_persons, progress, chosen
        )
        if out_dir.exists():
            out_dir.rmdir()  # checked empty above
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for f in result.files:
        f.path = out_dir / f.path.name
    result.out_dir = out_dir
    result.truth_path = out_dir / TRUTH_FILE if write_truth else None
    result.seconds = time.perf_counter() - t0
    return result


def _generate(
    out_dir: Path,
    persons: int,
    seed: int,
    ctx: Context,
    truth: Truth,
    write_truth: bool,
    chunk_persons: int,
    progress: Progress | None,
    style: Style,
) -> SynthResult:
    t0 = time.perf_counter()
    pop = PopulationGenerator(np.random.default_rng([seed, 0]), ctx.start_day, ctx.end_day)
    specs = styled_files(persons, style)
    writers = {f.key: FileWriter(out_dir, f.spec, title=f.title) for f in specs}
    mess_counts: dict[str, Counter[str]] = {f.key: Counter() for f in specs}
    route = {src: f for f in specs for src in f.sources}
    done = 0
    chunk_no = 0
    try:
        while done < persons:
            # The first chunk holds every planted scenario, so it is never smaller than the minimum.
            size = max(chunk_persons, MIN_PERSONS) if chunk_no == 0 else chunk_persons
            n = min(size, persons - done)
            p = pop.chunk(n)
            plan = Plan()
            free = np.ones(len(p), bool)
            world = None
            if chunk_no == 0:
                pool = Pool(p, ctx, np.random.default_rng([seed, 1]), pop)
                try:
                    world = _build_world(p, ctx, pool, np.random.default_rng([seed, 3]))
                    _plant(pool, plan, world)
                except NotEnoughPeople as exc:
                    raise SynthError(str(exc)) from None
                truth.planted.extend(plan.planted)
                free = ~pool.used
            _write_chunk(
                p, ctx, plan, world, free, writers, route, mess_counts, truth, seed, chunk_no
            )
            done += n
            chunk_no += 1
            if progress is not None:
                progress(done, persons)
    finally:
        for w in writers.values():
            w.close()
    files: list[WrittenFile] = []
    for sf in specs:
        f = sf.spec
        w = writers[f.key]
        files.extend(WrittenFile(path, f.dataset, 0) for path in w.paths)
        files[-1].rows = w.rows  # multi-part xlsx: row counts are per export
        entry: dict[str, object] = {
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
        if style.name != "standard":
            # Which standard dataset(s) and field(s) each column carries: what a recognised
            # mapping is compared with.
            entry["sources"] = list(sf.sources)
            entry["datasets"] = list(sf.datasets)
            entry["columns"] = [
                {"header": c.header, "field": c.field, "targets": [list(t) for t in tg]}
                | ({"unrelated": True} if f"@{c.header}" in sf.extras else {})
                for c, tg in zip(f.columns, sf.targets, strict=True)
            ]
            entry["title_rows"] = len(sf.title)
        truth.files.append(entry)
        truth.mess[f.key] = dict(sorted(mess_counts[f.key].items()))
    truth.invalid_rows.sort(key=lambda r: (r["file"], r["row"]))
    truth.duplicates.sort(key=lambda r: (r["file"], r["row"]))
    truth_path = None
    if write_truth:
        truth_path = out_dir / TRUTH_FILE
        truth.write(truth_path)
    return SynthResult(out_dir, files, truth, truth_path, time.perf_counter() - t0)


def _build_world(p: Persons, ctx: Context, pool: Pool, rng: np.random.Generator) -> World:
    """Organisations and their background records (before planting, so that background
    procurement and complaints only involve background companies)."""
    world = World(p, ctx, rng, pool)
    world.build_payroll()
    world.build_companies()
    world.build_procurement()
    world.build_receptions()
    world.build_trips()
    world.build_canteen()
    world.build_ledgers()
    world.build_complaints()
    world.build_bank()
    return world


def _plant(pool: Pool, plan: Plan, world: World) -> None:
    # Scenarios with the scarcest people (old people living with working-age relatives) first.
    lv_plants.approval_for_relative(pool, plan, world)
    subsidy_after_death.plant(pool, plan)
    lv_plants.old_age_not_enrolled(pool, plan)
    lv_plants.dibao_owns_car(pool, plan)
    lv_plants.payroll_in_dibao(pool, plan, world)
    lv_plants.dibao_member_owns_company(pool, plan, world)
    lv_plants.duplicate_payment(pool, plan)
    lv_plants.recipient_name_mismatch(pool, plan)
    lv_plants.shared_payment_account(pool, plan)
    lv_plants.farm_machinery_fraud(pool, plan)
    lv_plants.disability_subsidy_without_certificate(pool, plan)
    lv_plants.medical_claim_anomaly(pool, plan)
    lv_plants.hospital_split_or_phantom_bed(pool, plan)
    lv_plants.moved_out_farm_subsidy(pool, plan)
    lv_plants.exclusive_benefits_overlap(pool, plan)
    officials.official_runs_business(pool, plan, world)
    officials.official_resettlement_housing(pool, plan, world)
    officials.relative_company_wins_contract(pool, plan, world)
    kin.relative_company_elsewhere(pool, plan, world)
    officials.double_payroll(pool, plan, world)
    officials.official_kin_business(pool, plan, world)
    procurement.plant_all(pool, plan, world)
    others.conduct(pool, plan, world)
    others.school_meals(pool, plan, world)
    others.rural(pool, plan, world)
    others.complaints(pool, plan, world)
    money.plant(pool, plan, world)
    lawful.plant(pool, plan, world)


# Sort order of the organisation-level files (as the departments export them).
_WORLD_ORDER = {
    "payroll": ("org_uscc", "start_date"),
    "companies": ("established_date",),
    "shareholders": ("uscc",),
    "tenders": ("announce_date",),
    "bids": ("tender_no",),
    "receptions": ("reception_date",),
    "car_trips": ("start_time",),
    "canteen": ("purchase_date", "school_uscc"),
    "ledgers": ("division_code", "entry_date"),
    "complaints": ("received_at",),
    "bank": ("txn_time",),
}


def _rows_to_table(rows: list[dict[str, object]], order: tuple[str, ...]) -> tables.Table:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    t: tables.Table = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        if k.startswith("#"):
            t[k] = np.array([bool(v) for v in values])
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            t[k] = np.array(values, dtype=np.int64)
        elif all(isinstance(v, (float, np.floating)) for v in values):
            t[k] = np.array(values, dtype=float)
        else:
            t[k] = np.array(["" if v is None else str(v) for v in values], dtype=str)
    idx = np.lexsort(tuple(t[k] for k in reversed(order))) if rows else np.zeros(0, np.int64)
    return tables.take(t, idx)


def _apply_overrides(pay: tables.Table, p: Persons, plan: Plan) -> tables.Table:
    if plan.drop:
        keep = np.ones(pay["@pid"].size, bool)
        for person, month in plan.drop:
            keep &= ~(
                (pay["@pid"] == p.pid[person])
                & (pay["period"] == month)
                & (pay["subsidy_type"] == scales.OLD_AGE_TYPE)
                & ~pay["#planted"]
            )
        pay = tables.take(pay, np.flatnonzero(keep))
    for person, month, field_name, value, nomess in plan.overrides:
        rows = np.flatnonzero(
            (pay["@pid"] == p.pid[person])
            & (pay["period"] == month)
            & (pay["subsidy_type"] == scales.OLD_AGE_TYPE)
        )
        if rows.size != 1:
            raise AssertionError(f"override of a missing payment (person {person}, month {month})")
        col = pay[field_name]
        if col.dtype.kind == "U" and len(str(value)) > col.dtype.itemsize // 4:
            pay[field_name] = col = col.astype(object)
        col[rows[0]] = value
        if f"{field_name}#trad" in pay:
            tcol = pay[f"{field_name}#trad"].astype(object)
            tcol[rows[0]] = value
            pay[f"{field_name}#trad"] = tcol
        pay["#planted"][rows[0]] = True
        if nomess:
            pay["#nomess"][rows[0]] = True
    for k in list(pay):
        if pay[k].dtype == object:
            pay[k] = pay[k].astype(str)
    return pay


def _write_chunk(
    p: Persons,
    ctx: Context,
    plan: Plan,
    world: World | None,
    free: np.ndarray,
    writers: dict[str, FileWriter],
    route: dict[str, StyledFile],
    mess_counts: dict[str, Counter[str]],
    truth: Truth,
    seed: int,
    chunk_no: int,
) -> None:
    rng = np.random.default_rng([seed, 4, chunk_no])
    waiting: dict[str, dict[str, tables.Table]] = {}  # merged files: the parts seen so far

    def extra(key: str) -> tables.Table:
        out: tables.Table = {}
        for t in plan.rows.get(key, []):
            out = tables.concat(out, t)
        return out

    def emit(key: str, table: tables.Table) -> None:
        if not table or next(iter(table.values())).size == 0:
            return
        sf = route[key]
        if sf.needs_restyle:
            parts = waiting.setdefault(sf.key, {})
            parts[key] = table
            if len(parts) < len(sf.sources):
                return
            table = restyle(sf, waiting.pop(sf.key))
            if not table:
                return
        spec = sf.spec
        file_no = [f.key for f in departments.FILES].index(sf.sources[0])
        mess_rng = np.random.default_rng([seed, 2, chunk_no, file_no])
        out = render.render(spec, table, mess_rng)
        w = writers[sf.key]
        base = w.rows
        for row, reason in out.invalid:
            name, r = w.locate(base + row)
            truth.invalid_rows.append({"file": name, "row": r, "reason": reason})
        for row, of in out.duplicates:
            name, r = w.locate(base + row)
            _, r0 = w.locate(base + of)
            truth.duplicates.append({"file": name, "row": r, "duplicate_of": r0})
        w.write(out.columns)
        mess_counts[sf.key].update(out.counts)

    emit("registry", tables.registry(p, ctx, plan.moved_out, plan.collective))
    emit("cremation", tables.cremation(p, ctx, extra("cremation") or None))
    fixed = np.isin(np.arange(len(p)), np.array(sorted(plan.death_fixed), dtype=np.int64))
    hospital, insurance = livelihood.deaths_elsewhere(p, ctx, rng, fixed)
    emit("hospital_deaths", tables.concat(hospital, extra("hospital_deaths")))
    emit("insurance_deaths", tables.concat(insurance, extra("insurance_deaths")))

    hh, members, dibao_pay, in_dibao = livelihood.dibao(p, ctx, rng, free)
    emit("dibao_households", tables.concat(hh, extra("dibao_households")))
    emit("dibao_members", tables.concat(members, extra("dibao_members")))
    certs, dis_pay = livelihood.disability(p, ctx, rng, free, in_dibao)
    emit("disability", tables.concat(certs, extra("disability")))
    machines, farm_pay = livelihood.farm_machinery(p, ctx, rng, free)
    emit("farm_machinery", tables.concat(machines, extra("farm_machinery")))
    cars_ok = free & ~np.isin(p.household, p.household[in_dibao])
    emit("vehicles", tables.concat(livelihood.vehicles(p, ctx, rng, cars_ok), extra("vehicles")))
    emit(
        "real_estate",
        tables.concat(livelihood.real_estate(p, ctx, rng, free, free), extra("real_estate")),
    )
    died_in_hospital = np.zeros(len(p), bool)
    if hospital and hospital["id_no"].size:
        place = hospital["@死亡地点"] == "医疗卫生机构"
        died_in_hospital = np.isin(p.id_no, hospital["id_no"][place])
    emit(
        "medical",
        tables.concat(livelihood.medical(p, ctx, rng, free, died_in_hospital), extra("medical")),
    )

    emit("marriages", tables.concat(civil.marriages(p, ctx, rng, free), extra("marriages")))
    emit("births", tables.concat(civil.births(p, ctx, rng, free), extra("births")))
    emit("moves", tables.concat(civil.moves(p, ctx, rng, free), extra("moves")))

    stop = livelihood.Overrides(stop_old_age=plan.stop_old_age)
    pay = livelihood.old_age(p, ctx, stop)
    for pw, pm in plan.payments:
        planted_pay = tables.payments(p, ctx, pw, pm)
        planted_pay["#planted"][:] = True
        pay = tables.concat(pay, planted_pay)
    for part in (dibao_pay, dis_pay, farm_pay, extra("payments")):
        pay = tables.concat(pay, part)
    pay = _apply_overrides(pay, p, plan)
    emit("payments", tables.finish_payments(pay, ctx))

    if world is not None:
        for key, order in _WORLD_ORDER.items():
            rows = world.rows.get(key, [])
            table = _rows_to_table(rows, order) if rows else {}
            for block in world.tables.get(key, []):
                table = tables.concat(table, block)
            if table:
                idx = np.lexsort(tuple(table[k] for k in reversed(order)))
                emit(key, tables.take(table, idx))
    for key, parts in waiting.items():
        # A merged file writes child rows with their parent's columns: a chunk with parents
        # but no children writes nothing; children without parents would lose their rows.
        child = route[next(iter(parts))].sources[-1]
        if child in parts:
            raise AssertionError(f"{key}: {child} rows without their parent rows")
