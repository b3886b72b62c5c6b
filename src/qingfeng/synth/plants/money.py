"""Public money followed through bank accounts (资金穿透): the four money models' cases and their
lawful look-alikes.

The money starts as a public payment the county already makes (the monthly old-age allowance
into the recipient's 一卡通 account, or a village payment by transfer) and moves on through planted
bank statements. Each transfer is written on both statements it appears on: as 出 on the payer's
account and as 进 on the receiver's (that is how an account's holder becomes known).
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import civil, dates, names, tables
from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.livelihood import _id
from qingfeng.synth.world import World

MINUTES = dates.MINUTES_PER_DAY


def _acct(pool: Pool, i: int) -> str:
    return str(tables.account_no(np.array([pool.p.pid[i]]))[0])


def _transfer(
    pool: Pool,
    world: World,
    src: int | str,
    dst: int | str,
    minute: int,
    amount: float,
    dst_name: str | None = None,
) -> None:
    """One transfer from person/account `src` to person/account `dst` (a person index, or an
    account number for an account whose holder the bank did not disclose)."""
    p = pool.p

    def side(x: int | str) -> tuple[str, str, str]:
        if isinstance(x, str):
            return x, "", dst_name or ""
        return _acct(pool, x), str(p.id_no[x]), str(p.name[x])

    a_acct, a_id, a_name = side(src)
    b_acct, b_id, b_name = side(dst)
    amount = float(np.round(amount, 2))
    if a_id:
        k = world.next("txn")
        row = {
            "txn_id": f"TX{k:010d}",
            "account_no": a_acct,
            "holder_id_no": a_id,
            "counterparty_account": b_acct,
            "counterparty_name": b_name,
            "txn_time": minute,
            "amount": amount,
            "direction": "出",
        }
        world.add("bank", row, planted=True)
    if b_id:
        k = world.next("txn")
        row = {
            "txn_id": f"TX{k:010d}",
            "account_no": b_acct,
            "holder_id_no": b_id,
            "counterparty_account": a_acct,
            "counterparty_name": a_name,
            "txn_time": minute + 1,
            "amount": amount,
            "direction": "进",
        }
        world.add("bank", row, planted=True)


def _farmland(
    pool: Pool, plan: Plan, who: np.ndarray, k: int, approver: str | None = None
) -> list[tuple[int, int, float]]:
    """A farmland-protection subsidy (耕地地力保护补贴) to each person in the k-th month of the
    data, approved by `approver` if given: (month, pay day, amount) per person."""
    ctx = pool.ctx
    month = int(ctx.months[k % ctx.months.size])
    amount = np.round(pool.rng.uniform(620, 980, who.size), 2)
    t = tables.payments(
        pool.p, ctx, who, np.full(who.size, month), subsidy_type="耕地地力保护补贴", amount=amount
    )
    if approver is not None:
        t["approver_id_no"] = np.full(who.size, approver)
    t["#planted"][:] = True
    plan.add_rows("payments", t)
    return [(month, int(d), float(a)) for d, a in zip(t["pay_date"], t["amount"], strict=True)]


def _with_family(pool: Pool) -> np.ndarray:
    """Adults 25–65 who share their household with another adult."""
    p = pool.p
    adult = pool.adults(20, 70)
    n = np.bincount(p.household - p.household.min(), weights=adult.astype(float))
    return pool.adults(25, 65) & (n[p.household - p.household.min()] >= 2)


def _family_member(pool: Pool, i: int) -> int:
    p = pool.p
    fam = np.flatnonzero((p.household == p.household[i]) & pool.adults(20, 70))
    return int(fam[fam != i][0])


def _child_of(pool: Pool, plan: Plan, parent: int, what: str) -> int:
    """A grown child of `parent` with a household of their own, tied by the birth certificate."""
    p = pool.p
    age = p.age_on(pool.ctx.start_day)
    born = p.birth_day
    ok = (
        (born >= civil._first_day(1996))
        & (age >= 18)
        & (born >= born[parent] + 20 * 365)
        & (p.death_day < 0)
    )
    (child,) = pool.take(ok, 1, what)
    child = int(child)
    p.surname[child] = p.surname[parent]
    p.name[child] = names.compose(
        p.surname[child : child + 1], p.g1[child : child + 1], p.g2[child : child + 1]
    )[0]
    t = civil.birth_row(pool.ctx, p, np.array([child]), np.array([parent]), np.array([parent]))
    blank = "mother" if p.male[parent] == 1 else "father"
    for col in (f"{blank}_id_no", f"{blank}_name", f"{blank}_name#trad"):
        t[col] = np.array([""])
    plan.add_rows("births", t)
    return child


def approver_kin(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_money_reaches_approver_kin"
    p = pool.p
    # Clerks old enough to have a grown child born since birth certificates exist (1996).
    born = p.birth_day[np.array(world.clerks)]
    able = [int(t) for t in np.argsort(born, kind="stable") if born[t] <= civil._first_day(1983)]
    able = able[:3] or [int(np.argmin(born))]
    kin = {t: _child_of(pool, plan, world.clerks[t], "审批人的子女（另立户）") for t in able}
    farmers = pool.take(_with_family(pool), 8, "种粮农户（补贴流向审批人子女）")
    for j in range(5):
        t = able[j % len(able)]
        clerk = world.clerks[t]
        r = int(farmers[j])
        ((month, day, amount),) = _farmland(
            pool, plan, farmers[j : j + 1], 2 + 2 * j, _id(pool, clerk)
        )
        if j % 2 == 0:
            _transfer(pool, world, r, kin[t], (day + 2 + j) * MINUTES + 600, amount * 0.9)
            note = f"补贴到账{2 + j}天后转入审批人子女账户"
        else:
            (mid,) = pool.take_shared(pool.adults(25, 60), 1, "中间账户持有人")
            _transfer(pool, world, r, int(mid), (day + 1) * MINUTES + 540, amount * 0.95)
            _transfer(pool, world, int(mid), kin[t], (day + 4) * MINUTES + 660, amount * 0.9)
            note = "补贴经中间账户两次转账进入审批人子女账户"
        plan.add(m, _id(pool, clerk), month, "case", note)
    looks = (
        ("late", "转给审批人子女的款项在发放两个月后"),
        ("small", "转给审批人子女的只是补贴的两成（邻里买卖）"),
        ("family", "领取人把补贴转给自己的家人"),
    )
    for j, (kind, note) in enumerate(looks):
        t = able[j % len(able)]
        clerk = world.clerks[t]
        r = int(farmers[5 + j])
        ((month, day, amount),) = _farmland(
            pool, plan, farmers[5 + j : 6 + j], 13 + 2 * j, _id(pool, clerk)
        )
        if kind == "late":
            _transfer(pool, world, r, kin[t], (day + 61) * MINUTES + 600, amount * 0.9)
        elif kind == "small":
            _transfer(pool, world, r, kin[t], (day + 3) * MINUTES + 600, amount * 0.2)
        else:
            _transfer(pool, world, r, _family_member(pool, r), (day + 2) * MINUTES + 600, amount)
        plan.add(m, _id(pool, clerk), month, "decoy", note)


def round_trip(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_round_trip_to_payer"
    ctx = pool.ctx
    farmers = pool.take(pool.adults(25, 65), 8, "种粮农户（补贴回流）")
    mates: dict[int, int] = {}
    for j in range(8):
        t = (j + 1) % len(world.clerks)
        clerk = world.clerks[t]
        if t not in mates:
            # a colleague in post in the approver's own office (发放单位经办人员)
            (mate,) = pool.take(pool.adults(28, 55), 1, "审批人同单位同事")
            world.add_payroll(
                int(mate),
                world.township_gov[t],
                "社会事务办科员",
                ctx.start_day - 900,
                planted=True,
            )
            mates[t] = int(mate)
        k = 1 + 2 * j if j < 5 else 12 + 2 * j
        ((month, day, amount),) = _farmland(pool, plan, farmers[j : j + 1], k, _id(pool, clerk))
        # (money back to the approver personally is the approver-kin model's: `本人`)
        to, who = mates[t], "审批人同单位同事"
        if j < 5:
            _transfer(pool, world, int(farmers[j]), to, (day + 6) * MINUTES + 900, amount * 0.8)
            plan.add(m, _id(pool, clerk), month, "case", f"补贴到账6天后八成转入{who}账户")
        else:
            _transfer(pool, world, int(farmers[j]), to, (day + 6) * MINUTES + 900, amount * 0.1)
            plan.add(
                m,
                _id(pool, clerk),
                month,
                "decoy",
                f"领取人转给{who}的金额只占补贴一成（代购物品）",
            )


def feed_one_account(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_recipients_feed_one_account"
    ctx = pool.ctx
    holders = pool.take_shared(pool.adults(30, 55), 5, "归集账户持有人")
    farmers = pool.take(pool.adults(35, 65), 5, "种粮农户（补贴归集到同一账户）")
    for j, holder in enumerate(holders):
        paid = _farmland(pool, plan, farmers, 1 + 2 * j)
        for i, (r, (_, day, amount)) in enumerate(zip(farmers, paid, strict=True)):
            _transfer(pool, world, int(r), int(holder), (day + 1 + i % 3) * MINUTES + 600, amount)
        month = paid[0][0]
        plan.add(m, _acct(pool, int(holder)), month, "case", "5户农户的补贴到账后全额转入同一账户")
    # Look-alike: as many farmers pay the village supplies shop a part of it (seed, fertiliser).
    for j in range(3):
        shop = "6228480" + f"{(ctx.start_day * 7919 + j) % 10**12:012d}"
        paid = _farmland(pool, plan, farmers, 12 + 2 * j)
        for i, (r, (_, day, amount)) in enumerate(zip(farmers, paid, strict=True)):
            _transfer(
                pool, world, int(r), shop, (day + i % 4) * MINUTES + 700, amount * 0.3, "村农资店"
            )
        plan.add(m, shop, paid[0][0], "decoy", "多户农户向村农资店支付部分补贴购买种子化肥")


def pass_through(pool: Pool, plan: Plan, world: World) -> None:
    m = "public_money_pass_through"
    p, ctx = pool.p, pool.ctx
    span = ctx.end_day - ctx.start_day
    looks = ["case"] * 5 + ["family", "half", "slow"]
    for j, kind in enumerate(looks):
        free = _with_family(pool) & ~pool.used
        counts = np.bincount(p.village_idx[free], minlength=int(p.village_idx.max()) + 1)
        v = max(world.cadres, key=lambda x: int(counts[x]))
        (payee,) = pool.take(_with_family(pool) & (p.village_idx == v), 1, "村级转账收款人")
        payee = int(payee)
        lo = ctx.start_day + span * j // 9 + 5
        day = world.workday_between(lo, lo + 20)
        amount = float(np.round(5200 + 731.7 * j, 2)) + 0.37
        world.add_ledger(
            v, day, payee, amount, method="转账", purpose="村道维修务工费", planted=True
        )
        if kind == "case":
            (onward,) = pool.take_shared(pool.adults(25, 60), 1, "转出对象")
            _transfer(pool, world, payee, int(onward), (day + 1) * MINUTES + 600, amount * 0.96)
            plan.add(m, _id(pool, payee), month_of(day), "case", "村级转账到账次日96%转入他人账户")
        elif kind == "family":
            fam = _family_member(pool, payee)
            _transfer(pool, world, payee, fam, (day + 1) * MINUTES + 600, amount * 0.96)
            plan.add(m, _id(pool, payee), month_of(day), "decoy", "收款人把款项转给同户家人")
        elif kind == "half":
            (onward,) = pool.take_shared(pool.adults(25, 60), 1, "转出对象")
            _transfer(pool, world, payee, int(onward), (day + 1) * MINUTES + 600, amount * 0.5)
            plan.add(
                m, _id(pool, payee), month_of(day), "decoy", "收款人只转出一半（支付工友工钱）"
            )
        else:
            (onward,) = pool.take_shared(pool.adults(25, 60), 1, "转出对象")
            _transfer(pool, world, payee, int(onward), (day + 12) * MINUTES + 600, amount * 0.96)
            plan.add(m, _id(pool, payee), month_of(day), "decoy", "到账12天后才转出（非即进即出）")


def plant(pool: Pool, plan: Plan, world: World) -> None:
    approver_kin(pool, plan, world)
    round_trip(pool, plan, world)
    feed_one_account(pool, plan, world)
    pass_through(pool, plan, world)
