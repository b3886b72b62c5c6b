"""Per-person department records of one chunk: deaths seen by hospitals and medical insurance,
dibao, disability certificates, farm machinery, vehicles, real estate, medical claims and every
subsidy payment. Vectorised over the chunk; lawful by construction (see the package README).

`free` marks people whose households no scenario or organisation reserved: only they get the
optional background records (dibao, cars, certificates...), so planted scenarios stay exactly as
planted. Old-age allowance, deaths and the registry cover everybody.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qingfeng.synth import dates, names
from qingfeng.synth.context import Context
from qingfeng.synth.population import HEAD, SPOUSE, Persons
from qingfeng.synth.tables import Table, concat, payments

DIBAO_TYPE = "城乡低保金"
NURSING_TYPE = "重度残疾人护理补贴"
LIVING_TYPE = "困难残疾人生活补贴"
FARM_TYPE = "农机购置补贴"
DISABILITY_MONTHLY = {NURSING_TYPE: 100.0, LIVING_TYPE: 80.0}
MACHINES = (("微耕机", 800.0), ("拖拉机", 12000.0), ("插秧机", 6000.0), ("联合收割机", 20000.0))
LEVELS = np.array(["一级", "二级", "三级", "四级"])
CATEGORIES = np.array(["肢体", "视力", "听力", "言语", "智力", "精神"])


@dataclass
class Overrides:
    """Scenario changes to the background old-age allowance (person index → first unpaid
    month; a large negative month means never enrolled)."""

    stop_old_age: dict[int, int] = field(default_factory=dict)


def _names(p: Persons, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return p.name[idx], names.compose(p.surname[idx], p.g1[idx], p.g2[idx], traditional=True)


def person_rows(
    p: Persons, idx: np.ndarray, id_field: str = "id_no", name_field: str = "name"
) -> Table:
    n, t = _names(p, idx)
    return {id_field: p.id_no[idx], name_field: n, f"{name_field}#trad": t}


def _serials(ctx: Context, name: str, n: int, width: int = 8) -> np.ndarray:
    return dates.zfill(ctx.serial(name, n).astype(str), width)


def deaths_elsewhere(
    p: Persons, ctx: Context, rng: np.random.Generator, fixed: np.ndarray
) -> tuple[Table, Table]:
    """Hospital death certificates and medical-insurance death notices.

    Every death is seen by at least one source before the end of the period: one neither cremated
    nor cancelled in the registry yet always gets a hospital certificate."""
    n = len(p)
    dead = (p.death_day >= 0) & ~fixed
    unseen = dead & (p.cremation_day < 0) & (p.registry_death_day < 0)
    hosp = dead & ((rng.random(n) < 0.4) | unseen)
    h = np.flatnonzero(hosp)
    hospital: Table = {
        "@证明编号": np.strings.add("SW", _serials(ctx, "hospital_death", h.size)),
        **person_rows(p, h),
        "death_date": p.death_day[h],
        "@死亡地点": np.where(rng.random(h.size) < 0.7, "医疗卫生机构", "家中"),
        "record_date": p.death_day[h] + rng.integers(0, 3, h.size),
    }
    ins_day = p.death_day + rng.integers(10, 60, n)
    ins = dead & (rng.random(n) < 0.5) & (ins_day <= ctx.end_day)
    i = np.flatnonzero(ins)
    insurance: Table = {
        "@个人编号": np.strings.add("52270100", _serials(ctx, "insured", i.size)),
        **person_rows(p, i),
        "death_date": p.death_day[i],
        "record_date": ins_day[i],
    }
    return hospital, insurance


def old_age(p: Persons, ctx: Context, ov: Overrides) -> Table:
    from qingfeng.synth.tables import old_age_rows

    who, month = old_age_rows(p, ctx)
    if ov.stop_old_age:
        keys = np.array(list(ov.stop_old_age.keys()))
        stops = np.array(list(ov.stop_old_age.values()))
        order = np.argsort(keys)
        sk, ss = keys[order], stops[order]
        pos = np.clip(np.searchsorted(sk, who), 0, sk.size - 1)
        hit = sk[pos] == who
        keep = ~hit | (month < ss[pos])
        who, month = who[keep], month[keep]
    return payments(p, ctx, who, month)


def dibao(
    p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray
) -> tuple[Table, Table, Table, np.ndarray]:
    """Dibao households (about 4% of free households with no death in the period), their members
    and monthly payments to the head. Returns also the person mask of dibao members."""
    hh_dies = np.unique(p.household[p.death_day >= 0])
    heads = np.flatnonzero((p.relation == HEAD) & free & ~np.isin(p.household, hh_dies))
    urban = ctx.village_township[p.village_idx[heads]] < 5
    chosen = heads[rng.random(heads.size) < np.where(urban, 0.02, 0.055)]
    return dibao_cases(p, ctx, rng, chosen)


def dibao_cases(
    p: Persons,
    ctx: Context,
    rng: np.random.Generator,
    heads: np.ndarray,
    start: np.ndarray | None = None,
    end: np.ndarray | None = None,
) -> tuple[Table, Table, Table, np.ndarray]:
    n = heads.size
    if start is None:
        start = rng.integers(ctx.start_day - 5 * 365, ctx.end_day - 60, n)
    if end is None:
        stop = rng.random(n) < 0.2
        end = np.where(
            stop, np.minimum(start + rng.integers(120, 900, n), ctx.end_day - 1), dates.NONE
        )
        end = np.where(stop & (end <= ctx.start_day), dates.NONE, end)
    members = np.isin(p.household, p.household[heads])
    m_idx = np.flatnonzero(members)
    size = np.bincount(
        np.searchsorted(np.sort(p.household[heads]), p.household[m_idx]), minlength=n
    )
    order = np.argsort(p.household[heads])
    size_of_head = np.empty(n, np.int64)
    size_of_head[order] = size
    urban = ctx.village_township[p.village_idx[heads]] < 5
    per_cap = np.where(urban, rng.uniform(300, 650, n), rng.uniform(200, 450, n))
    amount = np.round(per_cap * size_of_head, 0)
    case_no = np.strings.add("DB522701", _serials(ctx, "dibao", n))
    households: Table = {
        "case_no": case_no,
        "head_id_no": p.id_no[heads],
        "@户主姓名": p.name[heads],
        "household_no": p.household_no[heads],
        "division_code": ctx.village_codes[p.village_idx[heads]],
        "@保障人数": size_of_head.astype(str),
        "start_date": start,
        "end_date": end,
        "monthly_amount": amount.astype(float),
    }
    case_of_hh = dict(zip(p.household[heads].tolist(), case_no.tolist(), strict=True))
    from qingfeng.synth.population import RELATIONS

    mem: Table = {
        "case_no": np.array([case_of_hh[h] for h in p.household[m_idx].tolist()], dtype=str),
        **person_rows(p, m_idx),
        "relation_to_head": RELATIONS[p.relation[m_idx]],
    }
    # Monthly payments to the head while the case is active on the pay day.
    months = ctx.months
    town = ctx.village_township[p.village_idx[heads]]
    pay = dates.first_day_of_month(months)[None, :] + (ctx.pay_dom[town] - 1)[:, None]
    active = (pay >= start[:, None]) & ((end[:, None] == dates.NONE) | (pay <= end[:, None]))
    active &= pay <= ctx.end_day
    alive = (p.death_day[heads][:, None] < 0) | (pay < p.death_day[heads][:, None])
    e, mm = np.nonzero(active & alive)
    pays = payments(p, ctx, heads[e], months[mm], DIBAO_TYPE, amount[e])
    return households, mem, pays, members


def disability(
    p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray, dibao_members: np.ndarray
) -> tuple[Table, Table]:
    """Certificates (about 4% of free people, more among the old) and the two disability
    subsidies, paid only in months the certificate is valid on the pay day."""
    n = len(p)
    age = p.age_on(ctx.start_day)
    has = free & (rng.random(n) < np.where(age >= 60, 0.08, 0.025))
    idx = np.flatnonzero(has)
    k = idx.size
    issue = rng.integers(ctx.start_day - 9 * 365, ctx.end_day - 30, k)
    issue = np.maximum(issue, p.birth_day[idx] + 30)
    valid = dates.add_years(issue, 10) - 1
    revoked = rng.random(k) < 0.03
    level = rng.choice(4, size=k, p=[0.15, 0.25, 0.3, 0.3])
    certs: Table = {
        "cert_no": np.strings.add(
            np.strings.add(p.id_no[idx], np.char.mod("%d", level + 1)), np.array(["1"] * k)
        )
        if k
        else np.array([], str),
        **person_rows(p, idx),
        "@残疾类别": CATEGORIES[rng.integers(0, CATEGORIES.size, k)],
        "level": LEVELS[level],
        "issue_date": issue,
        "valid_until": valid,
        "status": np.where(revoked, "注销", "有效"),
    }
    months = ctx.months
    town = ctx.village_township[p.village_idx[idx]]
    pay = dates.first_day_of_month(months)[None, :] + (ctx.pay_dom[town] - 1)[:, None]
    ok = (
        (pay >= issue[:, None]) & (pay <= valid[:, None]) & ~revoked[:, None] & (pay <= ctx.end_day)
    )
    ok &= (p.death_day[idx][:, None] < 0) | (pay < p.death_day[idx][:, None])
    parts: Table = {}
    severe = level <= 1
    e, mm = np.nonzero(ok & severe[:, None])
    parts = concat(
        parts,
        payments(
            p,
            ctx,
            idx[e],
            months[mm],
            NURSING_TYPE,
            np.full(e.size, DISABILITY_MONTHLY[NURSING_TYPE]),
        ),
    )
    poor = dibao_members[idx]
    e, mm = np.nonzero(ok & poor[:, None])
    parts = concat(
        parts,
        payments(
            p,
            ctx,
            idx[e],
            months[mm],
            LIVING_TYPE,
            np.full(e.size, DISABILITY_MONTHLY[LIVING_TYPE]),
        ),
    )
    return certs, parts


def farm_machinery(
    p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray
) -> tuple[Table, Table]:
    """Machines of rural household heads (3%) and one purchase subsidy per machine registered in
    the period, paid to the registered owner the month after registration."""
    rural = ctx.village_township[p.village_idx] >= 5
    idx = np.flatnonzero(free & rural & (p.relation == HEAD) & (rng.random(len(p)) < 0.03))
    k = idx.size
    kind = rng.integers(0, len(MACHINES), k)
    reg = rng.integers(ctx.start_day - 4 * 365, ctx.end_day - 60, k)
    serial = np.strings.add("NJ5227", _serials(ctx, "machine", k, 8))
    machines: Table = {
        "serial_no": serial,
        **person_rows(p, idx, "owner_id_no", "owner_name"),
        "machine_type": np.array([MACHINES[j][0] for j in kind], dtype=str),
        "register_date": reg,
    }
    month = dates.month_index(reg) + 1 if k else np.zeros(0, np.int64)
    town = ctx.village_township[p.village_idx[idx]]
    pay = ctx.pay_day(town, month) if k else month
    ok = (
        (reg >= ctx.start_day)
        & (pay <= ctx.end_day)
        & ((p.death_day[idx] < 0) | (pay < p.death_day[idx]))
    )
    amounts = np.array([MACHINES[j][1] for j in kind], dtype=float)
    subsidy = payments(p, ctx, idx[ok], month[ok], FARM_TYPE, amounts[ok], serial[ok])
    return machines, subsidy


def vehicles(p: Persons, ctx: Context, rng: np.random.Generator, owners_ok: np.ndarray) -> Table:
    """Cars of about 11% of eligible heads and spouses; a third of rural ones are motorcycles."""
    adult = p.age_on(ctx.start_day) >= 20
    idx = np.flatnonzero(
        owners_ok & adult & np.isin(p.relation, (HEAD, SPOUSE)) & (rng.random(len(p)) < 0.11)
    )
    k = idx.size
    moto = (ctx.village_township[p.village_idx[idx]] >= 5) & (rng.random(k) < 0.3)
    return vehicle_rows(
        p,
        ctx,
        rng,
        idx,
        rng.integers(ctx.start_day - 12 * 365, ctx.end_day - 10, k),
        np.where(moto, "普通二轮摩托车", np.where(rng.random(k) < 0.7, "小型轿车", "小型普通客车")),
    )


def vehicle_rows(
    p: Persons,
    ctx: Context,
    rng: np.random.Generator,
    idx: np.ndarray,
    reg: np.ndarray,
    vtype: np.ndarray,
    status: np.ndarray | None = None,
) -> Table:
    k = idx.size
    serial = ctx.serial("vehicle", k)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    plate = np.strings.add(
        np.strings.add("黔J", letters[serial % 24]),
        dates.zfill((serial * 7 % 10**4).astype(str), 4),
    )
    vin = np.strings.add("LSVAM4187", dates.zfill((serial * 7919 % 10**8).astype(str), 8))
    return {
        "plate_no": plate,
        "vin": vin,
        **person_rows(p, idx, "owner_id_no", "owner_name"),
        "vehicle_type": np.asarray(vtype, dtype=str),
        "use_type": np.full(k, "非营运"),
        "register_date": reg,
        "status": np.full(k, "正常") if status is None else status,
    }


def real_estate(
    p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray, resettle_ok: np.ndarray
) -> Table:
    heads = p.relation == HEAD
    urban = ctx.village_township[p.village_idx] < 5
    u = rng.random(len(p))
    com = np.flatnonzero(free & heads & urban & (u < 0.4))
    own = np.flatnonzero(free & heads & ~urban & (u < 0.5))
    res = np.flatnonzero(resettle_ok & heads & (u > 0.98))
    parts = [
        property_rows(
            p,
            ctx,
            rng,
            com,
            "商品房",
            rng.integers(ctx.start_day - 15 * 365, ctx.end_day - 5, com.size),
        ),
        property_rows(
            p,
            ctx,
            rng,
            own,
            "自建房",
            rng.integers(ctx.start_day - 30 * 365, ctx.end_day - 5, own.size),
        ),
        property_rows(
            p,
            ctx,
            rng,
            res,
            "安置房",
            rng.integers(ctx.start_day - 3 * 365, ctx.end_day - 5, res.size),
        ),
    ]
    out: Table = {}
    for t in parts:
        out = concat(out, t)
    return out


_PROJECT = {"商品房": "剑江华府", "自建房": "", "安置房": "都匀经济开发区易地扶贫搬迁安置点"}


def property_rows(
    p: Persons, ctx: Context, rng: np.random.Generator, idx: np.ndarray, kind: str, reg: np.ndarray
) -> Table:
    k = idx.size
    serial = ctx.serial("property", k)
    return {
        "property_no": np.strings.add(
            "522701", np.strings.add(dates.zfill(serial.astype(str), 10), "F0001")
        ),
        **person_rows(p, idx, "owner_id_no", "owner_name"),
        "property_type": np.full(k, kind),
        "project_name": np.full(k, _PROJECT[kind]),
        "address": p.address[idx]
        if kind == "自建房"
        else np.strings.add(
            f"都匀市{_PROJECT[kind]}", np.strings.add(np.strings.mod("%d栋", (serial % 30 + 1)), "")
        ),
        "area": np.char.mod("%.2f", rng.uniform(60, 140, k)),
        "register_date": reg,
    }


HOSPITALS = np.array(["都匀市人民医院", "都匀市中医医院", "黔南州人民医院", "都匀市墨冲镇卫生院"])


def medical(
    p: Persons,
    ctx: Context,
    rng: np.random.Generator,
    free: np.ndarray,
    died_in_hospital: np.ndarray,
) -> Table:
    """Outpatient and inpatient claims of free people: never after death, inpatient stays never
    overlap (at most one per half of the period) and a second stay starts at least a month after
    the first ended (no readmission that looks like a split stay); no outpatient visit while the
    person is in a hospital bed; people who died in hospital have a stay that ends on the day of
    death."""
    n = len(p)
    mid = (ctx.start_day + ctx.end_day) // 2
    parts: Table = {}
    in_bed = np.full((2, n), -1, dtype=np.int64), np.full((2, n), -1, dtype=np.int64)
    for half, (lo, hi) in enumerate(((ctx.start_day, mid - 30), (mid, ctx.end_day - 30))):
        inp = free & (rng.random(n) < 0.05)
        adm = rng.integers(lo, hi, n)
        los = rng.integers(2, 20, n)
        ok = inp & ((p.death_day < 0) | (adm + los < p.death_day)) & ~died_in_hospital
        if half == 1:
            ok &= (in_bed[1][0] < 0) | (adm - in_bed[1][0] > 30)
        idx = np.flatnonzero(ok)
        in_bed[0][half, idx] = adm[idx]
        in_bed[1][half, idx] = adm[idx] + los[idx]
        parts = concat(parts, claim_rows(p, ctx, rng, idx, "住院", adm[idx], adm[idx] + los[idx]))
    out_p = free & (rng.random(n) < 0.15)
    day = rng.integers(ctx.start_day, ctx.end_day, n)
    ok = out_p & ((p.death_day < 0) | (day < p.death_day - 2))
    for half in range(2):
        ok &= ~((in_bed[0][half] >= 0) & (day >= in_bed[0][half]) & (day <= in_bed[1][half]))
    idx = np.flatnonzero(ok)
    parts = concat(parts, claim_rows(p, ctx, rng, idx, "门诊", day[idx], day[idx]))
    dh = np.flatnonzero(died_in_hospital & free)
    parts = concat(
        parts,
        claim_rows(
            p, ctx, rng, dh, "住院", p.death_day[dh] - rng.integers(1, 15, dh.size), p.death_day[dh]
        ),
    )
    return parts


def claim_rows(
    p: Persons,
    ctx: Context,
    rng: np.random.Generator,
    idx: np.ndarray,
    kind: str,
    adm: np.ndarray,
    dis: np.ndarray,
    hospital: np.ndarray | None = None,
) -> Table:
    k = idx.size
    amount = np.round(
        np.where(kind == "住院", rng.uniform(2000, 30000, k), rng.uniform(50, 600, k)), 2
    )
    return {
        "claim_no": np.strings.add("YB", _serials(ctx, "claim", k, 10)),
        **person_rows(p, idx),
        "hospital": HOSPITALS[rng.integers(0, HOSPITALS.size, k)] if hospital is None else hospital,
        "claim_type": np.full(k, kind),
        "admission_date": np.asarray(adm, dtype=np.int64),
        "discharge_date": np.asarray(dis, dtype=np.int64),
        "amount": amount,
        "fund_paid": np.round(amount * np.where(kind == "住院", 0.7, 0.5), 2),
    }
