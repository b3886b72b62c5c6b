"""Builds clean standard tables (dicts of arrays keyed by standard field) from people.

Background records are lawful by construction: nobody is paid on or after their death, so every
irregularity in the output is one the planting modules put there and recorded in the truth.
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import dates, names, scales
from qingfeng.synth.context import Context
from qingfeng.synth.population import RELATIONS, Persons

Table = dict[str, np.ndarray]


def _n(t: Table) -> int:
    return int(next(iter(t.values())).size) if t else 0


def concat(a: Table, b: Table) -> Table:
    """Row-wise union; flags (#...) default to False and extra columns (@...) to empty text."""
    if not a:
        return dict(b)
    if not b:
        return dict(a)
    out: Table = {}
    for k in dict.fromkeys([*a, *b]):
        parts = []
        for t in (a, b):
            if k in t:
                parts.append(np.asarray(t[k]))
            elif k.startswith("#"):
                parts.append(np.zeros(_n(t), bool))
            elif k.startswith("@") or k.endswith("#trad"):
                parts.append(np.full(_n(t), "", dtype=str))
            else:
                raise KeyError(f"column {k} missing on one side of a table union")
        kinds = {x.dtype.kind for x in parts}
        if kinds & {"U", "S"} and kinds - {"U", "S"}:
            parts = [x.astype(str) for x in parts]
        out[k] = np.concatenate(parts)
    return out


def take(t: Table, idx: np.ndarray) -> Table:
    return {k: v[idx] for k, v in t.items()}


def _gender(male: np.ndarray) -> np.ndarray:
    return np.where(male == 1, "男", "女")


def _trad(p: Persons) -> np.ndarray:
    return names.compose(p.surname, p.g1, p.g2, traditional=True)


def _phone(p: Persons, ctx: Context) -> np.ndarray:
    # Deterministic per person; children under 16 have none.
    x = (p.pid * 2654435761 + 97) % 10**9
    prefix = np.array(["135", "138", "139", "151", "152", "158", "182", "187", "188", "199"])
    phone = np.strings.add(prefix[p.pid % 10], dates.zfill((x % 10**8).astype(str), 8))
    return np.where(p.age_on(ctx.start_day) >= 16, phone, "")


def registry(
    p: Persons,
    ctx: Context,
    moved_out: dict[int, int] | None = None,
    collective: set[int] | None = None,
) -> Table:
    """The household register; `collective` are the household numbers of collective households
    (集体户: people who share a register number, not a family)."""
    status = np.where(p.registry_death_day >= 0, "死亡注销", "正常").astype("<U4")
    moved = np.full(len(p), "", dtype="<U10")
    for i, day in (moved_out or {}).items():
        status[i] = "迁出"
        moved[i] = dates.render(np.array([day]), "iso")[0]
    return {
        "id_no": p.id_no,
        "name": p.name,
        "name#trad": _trad(p),
        "gender": _gender(p.male),
        "@民族": np.where(p.pid % 7 < 4, "汉族", np.where(p.pid % 7 < 6, "布依族", "水族")),
        "birth_date": p.birth_day,
        "household_no": p.household_no,
        "relation_to_head": RELATIONS[p.relation],
        "address": p.address,
        "division_code": ctx.village_codes[p.village_idx],
        "status": status,
        "registry_death_date": np.where(
            p.registry_death_day >= 0, p.registry_death_day, dates.NONE
        ),
        "@迁出日期": moved,
        "phone": _phone(p, ctx),
        "household_type": np.where(
            np.isin(p.household, np.array(sorted(collective or ()), dtype=np.int64)),
            "集体户",
            "家庭户",
        ),
    }


def cremation(p: Persons, ctx: Context, extra: Table | None = None) -> Table:
    """Cremation records of the chunk's dead (plus planted records); sorted by cremation date."""
    d = p.take(np.flatnonzero(p.cremation_day >= 0))
    b = dates.ymd(d.birth_day)
    dd = dates.ymd(d.death_day)
    age = dd[:, 0] - b[:, 0] - ((dd[:, 1] * 100 + dd[:, 2]) < (b[:, 1] * 100 + b[:, 2]))
    t: Table = {
        "name": d.name,
        "name#trad": _trad(d),
        "@性别": _gender(d.male),
        "id_no": d.id_no,
        "@年龄": age.astype(str),
        "death_date": d.death_day,
        "record_date": d.cremation_day,
        "@户籍地址": d.address,
    }
    t["#planted"] = np.zeros(len(d), bool)
    if extra is not None and next(iter(extra.values())).size:
        extra = {**extra, "#planted": np.ones(next(iter(extra.values())).size, bool)}
        t = concat(t, extra)
    order = np.argsort(t["record_date"], kind="stable")
    t = take(t, order)
    serial = ctx.serial("cremation", order.size)
    year = dates.ymd(t["record_date"])[:, 0].astype(str) if order.size else np.array([], str)
    t["@火化证编号"] = np.strings.add(
        np.strings.add("DYHH", year), dates.zfill(serial.astype(str), 6)
    )
    return t


def account_no(pid: np.ndarray) -> np.ndarray:
    """The person's 一卡通 bank card number (19 digits, unique per person)."""
    x = (pid * 7919 + 123457) % 10**13
    return np.strings.add("621799", dates.zfill(x.astype(str), 13))


def old_age_rows(p: Persons, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(person index, month) of every lawful old-age allowance payment in the period.

    Paid from the month after the 80th birthday, every month while the person is alive on the pay
    day (someone who dies on or before the pay day is not paid for that month).
    """
    months = ctx.months
    old = np.flatnonzero(p.age_on(ctx.end_day) >= scales.OLD_AGE_MIN_AGE)
    if old.size == 0:
        return old, old
    first = dates.first_day_of_month(months)  # (M,)
    turned = dates.add_years(p.birth_day[old], scales.OLD_AGE_MIN_AGE)  # (E,)
    town = ctx.village_township[p.village_idx[old]]
    pay = first[None, :] + (ctx.pay_dom[town] - 1)[:, None]  # (E, M)
    death = p.death_day[old]
    alive = (death[:, None] < 0) | (pay < death[:, None])
    mask = (turned[:, None] < first[None, :]) & alive & (pay <= ctx.end_day)
    e, m = np.nonzero(mask)
    return old[e], months[m]


def payments(
    p: Persons,
    ctx: Context,
    who: np.ndarray,
    month: np.ndarray,
    subsidy_type: str = scales.OLD_AGE_TYPE,
    amount: np.ndarray | None = None,
    serial: np.ndarray | None = None,
) -> Table:
    """Payment rows for (person index, month) pairs: old-age allowance unless told otherwise."""
    town = ctx.village_township[p.village_idx[who]]
    pay = ctx.pay_day(town, month)
    if amount is None:
        first = dates.first_day_of_month(month)
        b = dates.ymd(p.birth_day[who])
        f = dates.ymd(first)
        age = f[:, 0] - b[:, 0] - ((f[:, 1] * 100 + f[:, 2]) < (b[:, 1] * 100 + b[:, 2]))
        amount = scales.old_age_amount(age)
    return {
        "id_no": p.id_no[who],
        "name": p.name[who],
        "name#trad": names.compose(p.surname[who], p.g1[who], p.g2[who], traditional=True),
        "subsidy_type": np.full(who.size, subsidy_type),
        "period": month,
        "pay_date": pay,
        "amount": np.asarray(amount, dtype=float),
        "account_no": account_no(p.pid[who]),
        "division_code": ctx.village_codes[p.village_idx[who]],
        "approver_id_no": ctx.approver_id[town],
        "machine_serial": np.full(who.size, "", dtype=object).astype(str)
        if serial is None
        else serial.astype(str),
        "@village": p.village_idx[who],
        "@pid": p.pid[who],
        "#planted": np.zeros(who.size, bool),
        "#nomess": np.zeros(who.size, bool),
    }


def finish_payments(t: Table, ctx: Context) -> Table:
    """Sort as the department exports (by period, village, person) and number the payments."""
    order = np.lexsort((t["@pid"], t["@village"], t["period"]))
    t = take(t, order)
    serial = ctx.serial("payment", order.size)
    t["payment_no"] = np.strings.add(
        np.strings.add("BT", np.strings.replace(dates.period_str(t["period"]), "-", "")),
        dates.zfill(serial.astype(str), 8),
    )
    del t["@village"], t["@pid"]
    return t
