"""subsidy_after_death: a subsidy paid (pay_date) after the recipient's death, any death source.

Cases: old people whose allowance kept coming after they died, seen by cremation only, by the
registry only (buried, registry cancelled late), or by both; the period paid for is after the
month of death. Decoys: the month of death paid after the death (due in full); paid in the month
of death but before the death date; a living recipient with the same
name as a dead person; a living recipient whose name appears on a death record with a different
ID number (a non-resident who died in the county).
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import ids, names
from qingfeng.synth.plants.base import Plan, Pool, day_in
from qingfeng.synth.tables import Table

MODEL = "subsidy_after_death"


def plant(pool: Pool, plan: Plan) -> None:
    p, ctx = pool.p, pool.ctx
    months = ctx.months
    if months.size < 12:
        raise ValueError("日期范围至少 12 个月 / the period must span at least 12 months")
    elderly = (p.death_day < 0) & (p.age_on(ctx.start_day) >= 81)
    m = lambda k: int(months[k % months.size])  # noqa: E731 — month by position in the period
    last = months.size - 1

    # --- cases: (month of death index, day, cremation, registry lag, months paid after) -----
    scenarios = [
        (3, 8, True, 40, [1, 2, 3], "火化后仍发放3个月，户籍已注销"),
        (8, 20, True, None, [1, 2], "仅有火化记录，户籍未注销，继续发放"),
        (12, 3, False, 45, [2, 3], "未火化（土葬），户籍注销后仍发放"),
        (16, 2, True, 30, [0], "死亡当月的津贴在死亡后发放（所属期为死亡当月，依规应发）"),
        (5, 15, True, 20, [1, 2, 3, 4, 5, 6], "死亡后连续多领半年"),
        (last - 1, 5, True, 60, [1], "期末死亡，次月仍发放"),
    ]
    cases = pool.take(elderly, len(scenarios), "80岁以上在世老人（死后领取案例）")
    for i, (mk, dom, crem, lag, after, note) in zip(cases, scenarios, strict=True):
        month = m(mk)
        pool.kill(int(i), day_in(month, dom), crem, lag)
        paid = np.array([month + a for a in after])
        plan.payments.append((np.full(paid.size, i), paid))
        # the month of death is due in full: paid after the death it is still lawful
        kind = "decoy" if after == [0] else "case"
        for pm in paid:
            plan.add(MODEL, str(p.id_no[i]), int(pm), kind, note)

    # --- decoys: paid in the month of death, before death (pay days are the 10th-19th) ------
    for i, mk in zip(
        pool.take(elderly, 2, "80岁以上在世老人（当月死亡诱饵）"), (6, 14), strict=True
    ):
        month = m(mk)
        pool.kill(int(i), day_in(month, 25), True, 30)
        plan.add(MODEL, str(p.id_no[i]), month, "decoy", "死亡当月发放，发放日期在死亡日期之前")

    # --- decoys: same name as a dead person, different person -----------------------------
    alive = pool.take(elderly, 2, "80岁以上在世老人（同名诱饵）")
    dead = pool.take(elderly, 2, "80岁以上老人（同名死者）")
    for a, d, mk in zip(alive, dead, (4, 9), strict=True):
        month = m(mk)
        pool.kill(int(d), day_in(month, 6), True, 30)
        p.surname[a], p.g1[a], p.g2[a] = p.surname[d], p.g1[d], p.g2[d]
        p.name[a] = p.name[d]
        plan.add(
            MODEL, str(p.id_no[a]), month + 1, "decoy", "与已故人员同名，但身份证号不同，本人在世"
        )

    # --- decoys: a death record with the recipient's name but another ID number -----------
    alive = pool.take(elderly, 2, "80岁以上在世老人（他人死亡记录诱饵）")
    area = np.array(["522701"] * alive.size)
    # Sequence 996/997 is far above what the allocator reaches per (area, day, sex) cell.
    other = ids.build18(area, p.birth_day[alive], 996 + p.male[alive])
    death_days = np.array([day_in(m(k), 11) for k in (7, 15)])
    rows: Table = {
        "name": p.name[alive],
        "name#trad": names.compose(p.surname[alive], p.g1[alive], p.g2[alive], traditional=True),
        "@性别": np.where(p.male[alive] == 1, "男", "女"),
        "id_no": other,
        "@年龄": p.age_on(ctx.start_day)[alive].astype(str),
        "death_date": death_days,
        "record_date": death_days + 2,
        "@户籍地址": np.array(["贵州省黔南布依族苗族自治州三都水族自治县"] * alive.size),
    }
    plan.rows.setdefault("cremation", []).append(rows)
    for a, dd in zip(alive, death_days, strict=True):
        month = int(np.asarray(dd, dtype="datetime64[D]").astype("datetime64[M]").astype(int))
        plan.add(
            MODEL, str(p.id_no[a]), month + 1, "decoy", "火化记录姓名相同但身份证号不同（外县人员）"
        )
