"""Public money followed through bank accounts (资金穿透): the four money models' cases and their
lawful look-alikes.

The money starts as a public payment the county already makes (the monthly old-age allowance
into the recipient's 一卡通 account, or a village payment by transfer) and moves on through planted
bank statements. Each transfer is written on both statements it appears on: as 出 on the payer's
account and as 进 on the receiver's (that is how an account's holder becomes known).
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import civil, dates, tables
from qingfeng.synth import livelihood as lv
from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.livelihood import _elderly, _id
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


def _allowance(pool: Pool, r: int, k: int) -> tuple[int, int, float]:
    """(month, pay day, amount) of person r's old-age allowance in the k-th month."""
    month = int(pool.ctx.months[k % pool.ctx.months.size])
    t = lv.payments(pool.p, pool.ctx, np.array([r]), np.array([month]))
    return month, int(t["pay_date"][0]), float(t["amount"][0])


def _paid(
    pool: Pool, plan: Plan, world: World, r: int, k: int, town: int
) -> tuple[int, int, float]:
    """Person r's allowance of the k-th month, approved by township `town`'s clerk (a clerk
    may stand in for another township: the payment names who approved it)."""
    month, day, amount = _allowance(pool, r, k)
    plan.override(r, month, "approver_id_no", str(pool.p.id_no[world.clerks[town]]))
    return month, day, amount


def _old_in(pool: Pool, town: int, k: int, what: str) -> np.ndarray:
    del town  # any old person: the approver is set on the payment
    return pool.take(_elderly(pool, 82), k, what)


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
    from qingfeng.synth import names

    p.name[child] = names.compose(
        p.surname[child : child + 1], p.g1[child : child + 1], p.g2[child : child + 1]
    )[0]
    plan.add_rows("births", _birth_one_parent(pool, child, parent, p.male[parent] == 1))
    return child


def _birth_one_parent(pool: Pool, child: int, parent: int, male: bool) -> tables.Table:
    t = civil.birth_row(pool.ctx, pool.p, np.array([child]), np.array([parent]), np.array([parent]))
    blank = "mother" if male else "father"
    t[f"{blank}_id_no"] = np.array([""])
    t[f"{blank}_name"] = np.array([""])
    t[f"{blank}_name#trad"] = np.array([""])
    return t


def approver_kin(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_money_reaches_approver_kin"
    p = pool.p
    # Clerks old enough to have a grown child born since birth certificates exist (1996).
    born = p.birth_day[np.array(world.clerks)]
    able = [int(t) for t in np.argsort(born, kind="stable") if born[t] <= civil._first_day(1983)]
    if not able:
        able = [int(np.argmin(born))]
    kin = {t: _child_of(pool, plan, world.clerks[t], "审批人的子女（另立户）") for t in able[:3]}
    t0, t1, t2 = (able[j % len(able)] for j in range(3))

    # Case: straight to the approver's son/daughter, 4 days after the allowance.
    (r,) = _old_in(pool, t0, 1, "老人（补贴转给审批人子女）")
    month, day, amount = _paid(pool, plan, world, int(r), 4, t0)
    _transfer(pool, world, int(r), kin[t0], (day + 4) * MINUTES + 600, amount * 0.9)
    plan.add(m, _id(pool, world.clerks[t0]), month, "case", "高龄津贴到账4天后转入审批人子女账户")

    # Case: through an intermediary's account (two transfers).
    (r,) = _old_in(pool, t1, 1, "老人（经中间账户转给审批人子女）")
    (mid,) = pool.take_shared(pool.adults(25, 60), 1, "中间账户持有人")
    month, day, amount = _paid(pool, plan, world, int(r), 6, t1)
    _transfer(pool, world, int(r), int(mid), (day + 2) * MINUTES + 540, amount * 0.95)
    _transfer(pool, world, int(mid), kin[t1], (day + 5) * MINUTES + 660, amount * 0.9)
    plan.add(
        m,
        _id(pool, world.clerks[t1]),
        month,
        "case",
        "高龄津贴经中间账户两次转账进入审批人子女账户",
    )

    # Decoy: the same kind of transfer, but two months after the payment (outside the window).
    (r,) = _old_in(pool, t2, 1, "老人（两个月后转账）")
    month, day, amount = _paid(pool, plan, world, int(r), 8, t2)
    _transfer(pool, world, int(r), kin[t2], (day + 61) * MINUTES + 600, amount * 0.9)
    plan.add(m, _id(pool, world.clerks[t2]), month, "decoy", "转给审批人子女的款项在发放两个月后")

    # Decoy: a small share (a neighbourly purchase), below the share the model follows.
    (r,) = _old_in(pool, t0, 1, "老人（小额往来）")
    month, day, amount = _paid(pool, plan, world, int(r), 11, t0)
    _transfer(pool, world, int(r), kin[t0], (day + 3) * MINUTES + 600, amount * 0.2)
    plan.add(m, _id(pool, world.clerks[t0]), month, "decoy", "转给审批人子女的只是津贴的一小部分")

    # Decoy: the recipient sends the allowance to their own son (family support).
    (r,) = _old_in(pool, t1, 1, "老人（转给自己子女）")
    fam = np.flatnonzero(
        (p.household == p.household[r]) & pool.adults(20, 65) & (np.arange(len(p)) != r)
    )
    month, day, amount = _paid(pool, plan, world, int(r), 13, t1)
    if fam.size:
        son = int(fam[0])
        _transfer(pool, world, int(r), son, (day + 2) * MINUTES + 600, amount * 0.9)
    plan.add(m, _id(pool, world.clerks[t1]), month, "decoy", "领取人把津贴转给自己的家人")


def round_trip(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_round_trip_to_payer"
    towns = len(world.clerks)
    t = 3 % towns
    clerk = world.clerks[t]
    # The money returns to a colleague in post in the approver's own office (发放单位经办人员).
    (mate,) = pool.take(pool.adults(28, 55), 1, "审批人同单位同事")
    world.add_payroll(
        int(mate), world.township_gov[t], "社会事务办科员", pool.ctx.start_day - 900, planted=True
    )
    (r,) = _old_in(pool, t, 1, "老人（回流给发放单位）")
    month, day, amount = _paid(pool, plan, world, int(r), 5, t)
    _transfer(pool, world, int(r), int(mate), (day + 6) * MINUTES + 900, amount * 0.8)
    plan.add(m, _id(pool, clerk), month, "case", "高龄津贴到账6天后八成转入审批人同单位同事账户")
    (r,) = _old_in(pool, t, 1, "老人（少量转给审批单位同事）")
    month, day, amount = _paid(pool, plan, world, int(r), 9, t)
    _transfer(pool, world, int(r), int(mate), (day + 6) * MINUTES + 900, amount * 0.1)
    plan.add(
        m, _id(pool, clerk), month, "decoy", "领取人转给审批单位同事的金额只占津贴一成（代购物品）"
    )


def feed_one_account(pool: Pool, plan: Plan, world: World) -> None:
    m = "subsidy_recipients_feed_one_account"
    ctx = pool.ctx
    towns = len(world.clerks)
    t = 4 % towns
    (holder,) = pool.take_shared(pool.adults(30, 55), 1, "归集账户持有人")
    old = _old_in(pool, t, 6, "老人（津贴归集到同一账户）")
    month = int(ctx.months[7 % ctx.months.size])
    for j, r in enumerate(old):
        _, day, amount = _allowance(pool, int(r), 7)
        _transfer(pool, world, int(r), int(holder), (day + 1 + j % 3) * MINUTES + 600, amount)
    plan.add(m, _acct(pool, int(holder)), month, "case", "6名老人的高龄津贴到账后全额转入同一账户")
    # Look-alike: the same six-plus customers pay the village shop a small part of the allowance.
    shop = "6228480" + f"{(ctx.start_day * 7919) % 10**12:012d}"
    old = _old_in(pool, t, 6, "老人（在村小卖部消费）")
    for j, r in enumerate(old):
        _, day, amount = _allowance(pool, int(r), 10)
        _transfer(
            pool, world, int(r), shop, (day + j % 4) * MINUTES + 700, amount * 0.25, "村便民超市"
        )
    plan.add(m, shop, int(ctx.months[10 % ctx.months.size]), "decoy", "多名老人向村小卖部小额付款")
    del month


def pass_through(pool: Pool, plan: Plan, world: World) -> None:
    m = "public_money_pass_through"
    p, ctx = pool.p, pool.ctx
    # The village with the most people nobody else's scenario has reserved.
    free = pool.adults(25, 60) & ~pool.used
    counts = np.bincount(p.village_idx[free], minlength=int(p.village_idx.max()) + 1)
    v = max(world.cadres, key=lambda x: int(counts[x]))
    payee, lawful = (
        int(x) for x in pool.take(pool.adults(25, 60) & (p.village_idx == v), 2, "村级转账收款人")
    )
    (onward,) = pool.take_shared(pool.adults(25, 60), 1, "转出对象")
    day = world.workday_between(ctx.start_day + 120, ctx.start_day + 150)
    amount = 8640.37
    world.add_ledger(v, day, payee, amount, method="转账", purpose="村道维修务工费", planted=True)
    _transfer(pool, world, payee, int(onward), (day + 1) * MINUTES + 600, amount * 0.96)
    plan.add(m, _id(pool, payee), month_of(day), "case", "村级转账到账次日96%转入他人账户")
    # Look-alike: the payee passes the money to his own wife (a relative: family money).
    wife = np.flatnonzero(
        (p.household == p.household[lawful]) & pool.adults(20, 65) & (np.arange(len(p)) != lawful)
    )
    day = world.workday_between(ctx.start_day + 160, ctx.start_day + 190)
    world.add_ledger(v, day, lawful, amount, method="转账", purpose="村道维修务工费", planted=True)
    if wife.size:
        _transfer(pool, world, lawful, int(wife[0]), (day + 1) * MINUTES + 600, amount * 0.96)
    plan.add(m, _id(pool, lawful), month_of(day), "decoy", "收款人把款项转给同户家人")


def plant(pool: Pool, plan: Plan, world: World) -> None:
    approver_kin(pool, plan, world)
    round_trip(pool, plan, world)
    feed_one_account(pool, plan, world)
    pass_through(pool, plan, world)
