"""Officials models 13–16 (公职人员): business interests, resettlement housing, relatives'
companies winning contracts from the official's organisation, double payroll."""

from __future__ import annotations

import numpy as np

from qingfeng.synth import livelihood
from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.livelihood import _id, _rename
from qingfeng.synth.population import DAUGHTER, HEAD, SON, SPOUSE
from qingfeng.synth.world import Company, World


def _staff(
    pool: Pool, world: World, k: int, what: str, org_name: str, start: int, position: str = "科员"
) -> np.ndarray:
    people = pool.take(pool.adults(25, 55), k, what)
    for i in people:
        world.add_payroll(int(i), world.org(org_name), position, start, planted=True)
    return people


def official_runs_business(pool: Pool, plan: Plan, world: World) -> None:
    m = "official_runs_business"
    s0 = pool.ctx.start_day
    start = s0 - 1500
    staff = _staff(pool, world, 7, "经商公职人员", "都匀市自然资源局", start)
    est = [s0 - 400, s0 + 100, s0 - 2000, s0 + 200, s0 - 100]
    for j in range(3):
        world.new_company("trade", int(staff[j]), established=est[j], planted=True)
    reps = pool.take_shared(pool.adults(25, 60), 3, "合伙人")
    for j in (3, 4):
        world.new_company(
            "construction",
            int(reps[j - 3]),
            established=est[j],
            partners=(int(staff[j]),),
            planted=True,
        )
    for j in range(5):
        plan.add(
            m,
            _id(pool, int(staff[j])),
            month_of(max(start, est[j])),
            "case",
            "公职人员担任存续企业法定代表人或股东",
        )
    world.new_company(
        "trade",
        int(staff[5]),
        established=start - 3000,
        status="注销",
        cancelled=start - 400,
        planted=True,
    )
    plan.add(m, _id(pool, int(staff[5])), month_of(start), "decoy", "企业在其入职前已注销")
    (other,) = pool.take_shared(pool.adults(25, 60), 1, "同名企业主")
    _rename(pool.p, int(other), int(staff[6]))
    world.new_company("trade", int(other), established=s0 - 300, planted=True)
    plan.add(
        m,
        _id(pool, int(other)),
        month_of(s0 - 300),
        "decoy",
        "企业法定代表人与公职人员同名但身份证号不同",
    )
    # Left the payroll before founding a company.
    (left,) = pool.take(pool.adults(30, 55), 1, "离职人员")
    world.add_payroll(
        int(left), world.org("都匀市自然资源局"), "科员", s0 - 3000, s0 - 600, planted=True
    )
    world.new_company("trade", int(left), established=s0 - 200, planted=True)
    plan.add(m, _id(pool, int(left)), month_of(s0 - 200), "decoy", "离职后才创办企业")


def official_resettlement_housing(pool: Pool, plan: Plan, world: World) -> None:
    m = "official_resettlement_housing"
    p, ctx, rng = pool.p, pool.ctx, pool.rng
    s0 = ctx.start_day
    start = s0 - 2000
    staff = _staff(pool, world, 8, "公职人员（住房）", "都匀市住房和城乡建设局", start)
    reg = [s0 + 30 * k for k in range(1, 9)]
    owners = list(staff[:3])
    for j in (3, 4):
        fam = np.flatnonzero(
            (p.household == p.household[staff[j]])
            & (p.age_on(s0) >= 18)
            & (np.arange(len(p)) != staff[j])
        )
        owners.append(fam[0] if fam.size else staff[j])
    for j in range(5):
        plan.add_rows(
            "real_estate",
            livelihood.property_rows(
                p, ctx, rng, np.array([owners[j]]), "安置房", np.array([reg[j]])
            ),
        )
        who = "本人" if owners[j] == staff[j] else "同户家庭成员"
        plan.add(
            m,
            _id(pool, int(staff[j])),
            month_of(reg[j]),
            "case",
            f"公职人员{who}取得易地搬迁安置房",
        )
    plan.add_rows(
        "real_estate",
        livelihood.property_rows(p, ctx, rng, staff[5:6], "商品房", np.array([reg[5]])),
    )
    plan.add(
        m, _id(pool, int(staff[5])), month_of(reg[5]), "decoy", "公职人员购买商品房（非安置房）"
    )
    plan.add_rows(
        "real_estate",
        livelihood.property_rows(p, ctx, rng, staff[6:7], "安置房", np.array([start - 500])),
    )
    plan.add(
        m,
        _id(pool, int(staff[6])),
        month_of(start - 500),
        "decoy",
        "入职财政供养单位之前已取得安置房",
    )
    (other,) = pool.take(pool.adults(25, 60), 1, "同名安置户")
    _rename(p, int(other), int(staff[7]))
    plan.add_rows(
        "real_estate",
        livelihood.property_rows(p, ctx, rng, np.array([other]), "安置房", np.array([reg[7]])),
    )
    plan.add(
        m, _id(pool, int(other)), month_of(reg[7]), "decoy", "安置户与公职人员同名但身份证号不同"
    )


def _relative(pool: Pool, i: int) -> int | None:
    p = pool.p
    fam = np.flatnonzero(
        (p.household == p.household[i]) & (p.age_on(pool.ctx.start_day) >= 22) & (p.death_day < 0)
    )
    fam = fam[fam != i]
    return int(fam[0]) if fam.size else None


def _officials_with_relative(pool: Pool, k: int, what: str) -> list[tuple[int, int]]:
    p = pool.p
    adult = pool.adults(25, 55)
    hh_adults = np.bincount(p.household - p.household.min(), weights=adult.astype(float))[
        p.household - p.household.min()
    ]
    people = pool.take(adult & (hh_adults >= 2), k, what)
    out = []
    for i in people:
        r = _relative(pool, int(i))
        assert r is not None
        out.append((int(i), r))
    return out


def _spouse_or_child(pool: Pool, i: int, r: int) -> bool:
    """Whether r is i's spouse or child by their roles in one household (as the relatives
    library derives them)."""
    p = pool.p
    if p.household[i] != p.household[r]:
        return False
    a, b = int(p.relation[i]), int(p.relation[r])
    kids = (SON, DAUGHTER)
    return {a, b} == {HEAD, SPOUSE} or (a in (HEAD, SPOUSE) and b in kids)


def fresh_bidders(world: World, pool: Pool, k: int) -> list[Company]:
    reps = pool.take_shared(pool.adults(25, 62), k, "投标企业法定代表人")
    return [world.new_company("construction", int(r), planted=True) for r in reps]


def relative_company_wins_contract(pool: Pool, plan: Plan, world: World) -> None:
    m = "relative_company_wins_contract"
    ctx = pool.ctx
    pairs = _officials_with_relative(pool, 8, "有亲属的公职人员（招投标）")
    orgs = [world.org(n) for n in ("都匀市交通运输局", "都匀市水务局", "都匀市农业农村局")]
    for j, (off, rel) in enumerate(pairs):
        org = orgs[j % 3]
        world.add_payroll(off, org, "项目办主任", ctx.start_day - 1800, planted=True)
        rel_co = world.new_company("construction", rel, planted=True)
        if _spouse_or_child(pool, off, rel):
            # a 主任's wife or child running a construction company registered in the county
            plan.add(
                "official_kin_business_or_post_exit_job",
                str(pool.p.id_no[off]),
                month_of(max(ctx.start_day - 1800, rel_co.established)),
                "case",
                "项目办主任的配偶或子女在本县经营建筑企业",
            )
        others = fresh_bidders(world, pool, 2)
        budget = 3_000_000.0 + 100_000 * j
        prices = world.clean_prices(budget, 3)
        announce = world.workday_between(ctx.start_day + 20 * j, ctx.start_day + 20 * j + 30)
        if j < 5:
            bids = [
                (rel_co, prices[0], False, ""),
                (others[0], prices[1], False, ""),
                (others[1], prices[2], False, ""),
            ]
            t = world.add_tender(org, bids, budget=budget, announce=announce, planted=True)
            plan.add(
                m,
                str(pool.p.id_no[off]),
                month_of(t["award_date"]),
                "case",
                "公职人员近亲属企业中标本单位项目",
            )
        elif j == 5:
            other_org = world.org("都匀市人民政府办公室")
            bids = [
                (rel_co, prices[0], False, ""),
                (others[0], prices[1], False, ""),
                (others[1], prices[2], False, ""),
            ]
            t = world.add_tender(other_org, bids, budget=budget, announce=announce, planted=True)
            plan.add(
                m,
                str(pool.p.id_no[off]),
                month_of(t["award_date"]),
                "decoy",
                "亲属企业中标的是其他单位的项目",
            )
        elif j == 6:
            bids = [
                (others[0], prices[0], False, ""),
                (rel_co, prices[1], False, ""),
                (others[1], prices[2], False, ""),
            ]
            t = world.add_tender(org, bids, budget=budget, announce=announce, planted=True)
            plan.add(
                m,
                str(pool.p.id_no[off]),
                month_of(t["award_date"]),
                "decoy",
                "亲属企业参与本单位投标但未中标",
            )
        else:
            (stranger,) = pool.take_shared(pool.adults(25, 60), 1, "同姓企业主")
            p = pool.p
            p.surname[stranger] = p.surname[off]
            from qingfeng.synth import names

            p.name[stranger] = names.compose(
                p.surname[stranger : stranger + 1],
                p.g1[stranger : stranger + 1],
                p.g2[stranger : stranger + 1],
            )[0]
            co = world.new_company("construction", int(stranger), planted=True)
            bids = [
                (co, prices[0], False, ""),
                (others[0], prices[1], False, ""),
                (others[1], prices[2], False, ""),
            ]
            t = world.add_tender(org, bids, budget=budget, announce=announce, planted=True)
            plan.add(
                m,
                str(pool.p.id_no[off]),
                month_of(t["award_date"]),
                "decoy",
                "中标企业法定代表人与公职人员同姓，但非同户亲属",
            )


def double_payroll(pool: Pool, plan: Plan, world: World) -> None:
    m = "double_payroll"
    s0 = pool.ctx.start_day
    people = pool.take(pool.adults(25, 55), 8, "双重供养人员")
    a, b = world.org("都匀市教育局"), world.org("都匀市卫生健康局")
    for j in range(5):
        i = int(people[j])
        s1, s2 = s0 - 1000 - 50 * j, s0 + 30 * (j + 1)
        world.add_payroll(i, a, "科员", s1, planted=True)
        world.add_payroll(i, b, "科员", s2, planted=True)
        plan.add(m, _id(pool, i), month_of(s2), "case", "同一人同时在两个财政供养单位领取工资")
    i = int(people[5])
    world.add_payroll(i, a, "科员", s0 - 1500, s0 + 99, planted=True)
    world.add_payroll(i, b, "科员", s0 + 100, planted=True)
    plan.add(m, _id(pool, i), month_of(s0 + 100), "decoy", "调动：原单位离职次日到新单位（不重叠）")
    i = int(people[6])
    world.add_payroll(i, a, "科员", s0 - 1500, s0 + 199, planted=True)
    world.add_payroll(i, a, "副主任科员", s0 + 200, planted=True)
    plan.add(m, _id(pool, i), month_of(s0 + 200), "decoy", "同一单位职务晋升，前后两条记录相接")
    i, j = int(people[7]), int(pool.take(pool.adults(25, 55), 1, "同名人员")[0])
    _rename(pool.p, j, i)
    world.add_payroll(i, a, "科员", s0 - 900, planted=True)
    world.add_payroll(j, b, "科员", s0 - 800, planted=True)
    plan.add(
        m, _id(pool, j), month_of(s0 - 800), "decoy", "两个单位各有一名同名人员（身份证号不同）"
    )


def official_kin_business(pool: Pool, plan: Plan, world: World) -> None:
    """A bureau chief whose wife runs a company registered in the county; beside him a clerk of
    the same bureau whose wife does the same (not a leader: lawful)."""
    m = "official_kin_business_or_post_exit_job"
    p = pool.p
    s0 = pool.ctx.start_day
    has_spouse = np.isin(p.household, p.household[p.relation == SPOUSE])
    heads = pool.take(
        pool.adults(35, 55) & (p.relation == HEAD) & has_spouse, 2, "有配偶的户主（领导干部）"
    )
    for j, (position, kind) in enumerate((("局长", "case"), ("科员", "decoy"))):
        i = int(heads[j])
        (wife,) = np.flatnonzero((p.household == p.household[i]) & (p.relation == SPOUSE))[:1]
        world.add_payroll(i, world.org("都匀市住房和城乡建设局"), position, s0 - 2500, planted=True)
        est = s0 + 60 + 40 * j
        world.new_company("trade", int(wife), established=est, planted=True)
        note = (
            "局长的配偶在本县登记企业任法定代表人"
            if kind == "case"
            else "科员（非领导干部）的配偶在本县经商"
        )
        plan.add(m, str(p.id_no[i]), month_of(est), kind, note)
