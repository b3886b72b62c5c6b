"""Civil-register files of the synthetic county: marriage registrations, birth records and
household moves (户口迁移、分户).

Background rows only repeat ties the household register already shows (a head and spouse
who registered their marriage, children born since birth certificates exist with both parents in
the household, people who moved into the household they live in). Ties that reach *across*
households come from the plants (`qingfeng.synth.plants.kin`), so every cross-household tie in
the county is a planted one, known to the truth.
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import dates
from qingfeng.synth.context import Context
from qingfeng.synth.livelihood import person_rows
from qingfeng.synth.population import DAUGHTER, HEAD, SON, SPOUSE, Persons
from qingfeng.synth.tables import Table

OFFICE = "都匀市民政局婚姻登记处"
HOSPITALS = np.array(["都匀市人民医院", "都匀市妇幼保健院", "黔南州人民医院"])


def _first_day(year: int) -> int:
    import datetime as dt

    return int(dates.day_of(dt.date(year, 1, 1)))


def _head_and_spouse(p: Persons, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (head, spouse) of households in `free` whose head and spouse are both listed."""
    heads = np.flatnonzero((p.relation == HEAD) & free)
    spouses = np.flatnonzero((p.relation == SPOUSE) & free)
    hh, first = np.unique(p.household[heads], return_index=True)
    heads = heads[first]
    pos = np.searchsorted(hh, p.household[spouses])
    pos = np.clip(pos, 0, max(hh.size - 1, 0))
    ok = (hh.size > 0) & (hh[pos] == p.household[spouses]) if hh.size else np.zeros(0, bool)
    return heads[pos[ok]], spouses[ok]


def marriage_row(
    ctx: Context, p: Persons, husband: np.ndarray, wife: np.ndarray, day: np.ndarray, kind: str
) -> Table:
    k = husband.size
    serial = ctx.serial("marriage", k)
    prefix = "J522701" if kind == "结婚" else "L522701"
    years = dates.ymd(day)[:, 0].astype(str) if k else np.zeros(0, str)
    return {
        "reg_no": np.strings.add(np.strings.add(prefix, years), dates.zfill(serial.astype(str), 6)),
        "reg_type": np.full(k, kind),
        "reg_date": day,
        **person_rows(p, husband, "husband_id_no", "husband_name"),
        **person_rows(p, wife, "wife_id_no", "wife_name"),
        "registry_office": np.full(k, OFFICE),
    }


def birth_row(
    ctx: Context,
    p: Persons,
    child: np.ndarray,
    mother: np.ndarray,
    father: np.ndarray,
) -> Table:
    k = child.size
    serial = ctx.serial("birth_cert", k)
    return {
        "cert_no": np.strings.add("O52", dates.zfill(serial.astype(str), 9)),
        **person_rows(p, child, "child_id_no", "child_name"),
        "child_gender": np.where(p.male[child] == 1, "男", "女"),
        "birth_date": p.birth_day[child],
        **person_rows(p, mother, "mother_id_no", "mother_name"),
        **person_rows(p, father, "father_id_no", "father_name"),
        "institution": HOSPITALS[p.pid[child] % HOSPITALS.size] if k else np.zeros(0, str),
    }


def move_row(
    p: Persons,
    who: np.ndarray,
    old_household_no: np.ndarray,
    relation: np.ndarray,
    move_type: str,
    day: np.ndarray,
) -> Table:
    k = who.size
    return {
        **person_rows(p, who),
        "household_no": old_household_no,
        "relation_to_head": relation,
        "move_type": np.full(k, move_type),
        "move_date": day,
        "new_household_no": p.household_no[who],
    }


def marriages(p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray) -> Table:
    """Registrations of most head–spouse couples (the husband's and wife's, in either role)."""
    head, spouse = _head_and_spouse(p, free)
    keep = rng.random(head.size) < 0.6
    head, spouse = head[keep], spouse[keep]
    opposite = p.male[head] != p.male[spouse]
    head, spouse = head[opposite], spouse[opposite]
    husband = np.where(p.male[head] == 1, head, spouse)
    wife = np.where(p.male[head] == 1, spouse, head)
    younger = np.maximum(p.birth_day[husband], p.birth_day[wife])
    day = younger + (rng.integers(21, 30, head.size) * 365.25).astype(np.int64)
    day = np.minimum(day, ctx.start_day - 30)
    order = np.argsort(day, kind="stable")
    return marriage_row(ctx, p, husband[order], wife[order], day[order], "结婚")


def births(p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray) -> Table:
    """Certificates of children born since 1996 whose parents are the head and spouse."""
    head, spouse = _head_and_spouse(p, free)
    opposite = p.male[head] != p.male[spouse]
    head, spouse = head[opposite], spouse[opposite]
    hh = p.household[head]
    order = np.argsort(hh)
    hh, head, spouse = hh[order], head[order], spouse[order]
    kids = np.flatnonzero(
        free & ((p.relation == SON) | (p.relation == DAUGHTER)) & (p.birth_day >= _first_day(1996))
    )
    if hh.size == 0 or kids.size == 0:
        return {}
    pos = np.clip(np.searchsorted(hh, p.household[kids]), 0, hh.size - 1)
    ok = hh[pos] == p.household[kids]
    kids, pos = kids[ok], pos[ok]
    keep = rng.random(kids.size) < 0.8
    kids, pos = kids[keep], pos[keep]
    a, b = head[pos], spouse[pos]
    mother = np.where(p.male[a] == 0, a, b)
    father = np.where(p.male[a] == 0, b, a)
    order = np.argsort(p.birth_day[kids], kind="stable")
    return birth_row(ctx, p, kids[order], mother[order], father[order])


def moves(p: Persons, ctx: Context, rng: np.random.Generator, free: np.ndarray) -> Table:
    """A few people who moved into their household from outside the county (迁入: their old
    household number is another county's, so it ties them to nobody here)."""
    who = np.flatnonzero(free & (p.relation != HEAD) & (rng.random(len(p)) < 0.02))
    age = p.age_on(ctx.start_day)[who]
    who = who[age >= 1]
    span = np.maximum(p.age_on(ctx.start_day)[who], 1) * 365
    day = ctx.start_day - 1 - (rng.random(who.size) * np.minimum(span, 20 * 365)).astype(np.int64)
    from qingfeng.synth.population import RELATIONS

    old = np.strings.add("5201", dates.zfill(rng.integers(0, 10**8, who.size).astype(str), 8))
    t = move_row(p, who, old, RELATIONS[p.relation[who]], "迁入", day)
    order = np.argsort(day, kind="stable")
    return {k: v[order] for k, v in t.items()}
