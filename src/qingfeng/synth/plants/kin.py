"""Relatives in other households (跨户近亲属), for the models that ask "a relative of".

Each case rests on a different source of the tie, as investigators meet them: a married daughter
who moved into her husband's household (户口迁移, 婚迁), a brother who split off his own household
(分户), a son-in-law known from the marriage registration, a son known from his birth certificate
(出生医学证明). The decoys look like kin and are not, within the models' default circle: a
same-surname neighbour in the same village with no recorded tie, a cousin (degree 4, beyond the
default `kin_degree` of 3), and a member of the same collective household (集体户: a shared register
number, not a family).
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import civil, names
from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.population import DAUGHTER, HEAD, SON, SPOUSE, Persons
from qingfeng.synth.world import World

MODEL = "relative_company_wins_contract"


def _same_surname(p: Persons, i: int, like: int) -> None:
    """Person i takes the surname of `like` (relatives by the father's line usually share it)."""
    p.surname[i] = p.surname[like]
    p.name[i] = names.compose(p.surname[i : i + 1], p.g1[i : i + 1], p.g2[i : i + 1])[0]


def _one(idx: np.ndarray) -> int:
    return int(idx[0])


def _ages(pool: Pool) -> np.ndarray:
    return pool.p.age_on(pool.ctx.start_day)


def _alive(pool: Pool) -> np.ndarray:
    return pool.p.death_day < 0


def _members(p: Persons, i: int, mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero((p.household == p.household[i]) & mask)


def _with_member(p: Persons, who: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Per person: is `who` true for them and does their household hold someone `member`?"""
    return who & np.isin(p.household, np.unique(p.household[member]))


def relative_company_elsewhere(pool: Pool, plan: Plan, world: World) -> None:
    p, ctx = pool.p, pool.ctx
    s0 = ctx.start_day
    age, alive = _ages(pool), _alive(pool)
    org_names = ("都匀市交通运输局", "都匀市水务局", "都匀市农业农村局")
    head = (p.relation == HEAD) & alive

    tenders: list[tuple[int, int, str, str]] = []  # (official, relative, kind, note)

    # 1. Married daughter: moved from her father's household into her husband's (婚迁).
    off = _one(
        pool.take(head & (p.male == 1) & (age >= 48) & (age <= 58), 1, "有出嫁女儿的公职人员")
    )
    dau = _one(
        pool.take(
            (p.relation == SPOUSE) & (p.male == 0) & alive & (age >= 24) & (age <= 32),
            1,
            "出嫁女儿",
        )
    )
    _same_surname(p, dau, off)
    plan.add_rows(
        "moves",
        civil.move_row(
            p,
            np.array([dau]),
            p.household_no[[off]],
            np.array(["女"]),
            "婚迁",
            np.array([p.birth_day[dau] + 23 * 365]),
        ),
    )
    tenders.append((off, dau, "case", "公职人员已出嫁女儿（户口婚迁至夫家）的企业中标本单位项目"))

    # 2. Brother with a household of his own (分户 from the official's household).
    off = _one(
        pool.take(head & (p.male == 1) & (age >= 35) & (age <= 55), 1, "有分户兄弟的公职人员")
    )
    near = np.abs(age - age[off]) <= 8
    bro = _one(pool.take(head & (p.male == 1) & near, 1, "已分户的兄弟"))
    _same_surname(p, bro, off)
    plan.add_rows(
        "moves",
        civil.move_row(
            p,
            np.array([bro]),
            p.household_no[[off]],
            np.array(["弟" if p.birth_day[bro] > p.birth_day[off] else "兄"]),
            "分户",
            np.array([s0 - 2500]),
        ),
    )
    tenders.append((off, bro, "case", "公职人员已分户的兄弟的企业中标本单位项目"))

    # 3. Son-in-law, known from the marriage registration of the daughter living with the official.
    adult_daughter = (p.relation == DAUGHTER) & alive & (age >= 22) & (age <= 35)
    off = _one(
        pool.take(
            _with_member(p, head & (age >= 45) & (age <= 60), adult_daughter),
            1,
            "女儿已登记结婚的公职人员",
        )
    )
    (d2,) = _members(p, off, adult_daughter)[:1]
    son_in_law = _one(
        pool.take(head & (p.male == 1) & alive & (age >= 24) & (age <= 38), 1, "女婿")
    )
    plan.add_rows(
        "marriages",
        civil.marriage_row(
            ctx, p, np.array([son_in_law]), np.array([d2]), np.array([s0 - 400]), "结婚"
        ),
    )
    tenders.append((off, son_in_law, "case", "公职人员女婿（婚姻登记可查）的企业中标本单位项目"))

    # 4. Son with a household of his own, known from his birth certificate.
    with_wife = _with_member(
        p, head & (p.male == 1) & (age >= 45) & (age <= 55), p.relation == SPOUSE
    )
    off = _one(pool.take(with_wife, 1, "有出生证明记载子女的公职人员"))
    (mother,) = _members(p, off, p.relation == SPOUSE)[:1]
    young = (p.birth_day >= civil._first_day(1996)) & (age >= 22)
    son = _one(pool.take(head & (p.male == 1) & alive & young, 1, "已独立立户的儿子"))
    _same_surname(p, son, off)
    plan.add_rows(
        "births", civil.birth_row(ctx, p, np.array([son]), np.array([mother]), np.array([off]))
    )
    tenders.append(
        (off, son, "case", "公职人员儿子（出生医学证明可查，另立户）的企业中标本单位项目")
    )

    # Decoy: same surname and village, no recorded tie.
    # The official from a village where another free household head is left to share the surname.
    free_heads = head & (age >= 25) & (age <= 60) & ~pool.used
    heads_per_village = np.bincount(p.village_idx[free_heads], minlength=p.village_idx.max() + 1)
    roomy = heads_per_village[p.village_idx] >= 2
    off = _one(pool.take(head & (age >= 30) & (age <= 55) & roomy, 1, "同村同姓的公职人员"))
    village = p.village_idx == p.village_idx[off]
    other = _one(pool.take(head & village & (age >= 25) & (age <= 60), 1, "同村同姓无亲属关系者"))
    _same_surname(p, other, off)
    tenders.append((off, other, "decoy", "中标企业法定代表人与公职人员同村同姓，但无任何亲属登记"))

    # Decoy: a cousin (father's brother's son): degree 4, outside the default circle of 3.
    father = _one(pool.take(head & (p.male == 1) & alive & (age >= 62) & (age <= 85), 1, "父亲"))
    off = _one(pool.take(head & (p.male == 1) & (age >= 30) & (age <= 50), 1, "有堂兄弟的公职人员"))
    uncle_son = (p.relation == SON) & alive & (age >= 22)
    uncle = _one(
        pool.take(
            _with_member(p, head & (p.male == 1) & (age >= 55) & (age <= 85), uncle_son),
            1,
            "叔父",
        )
    )
    (cousin,) = _members(p, uncle, uncle_son)[:1]
    for i in (off, uncle, cousin):
        _same_surname(p, int(i), father)
    plan.add_rows(
        "moves",
        civil.move_row(
            p,
            np.array([off, uncle]),
            p.household_no[[father, father]],
            np.array(["子", "弟"]),
            "分户",
            np.array([s0 - 3000, s0 - 9000]),
        ),
    )
    tenders.append(
        (
            off,
            int(cousin),
            "decoy",
            "中标企业法定代表人是公职人员的堂兄弟（四代旁系，超出默认亲属范围）",
        )
    )

    # Decoy: shares a collective household's register number (集体户), no family tie.
    off = _one(pool.take(head & (age >= 25) & (age <= 55), 1, "集体户公职人员"))
    mate = _one(pool.take(head & (age >= 25) & (age <= 55), 1, "同一集体户成员"))
    for fld in ("household", "household_no", "address", "village_idx", "area_idx"):
        getattr(p, fld)[mate] = getattr(p, fld)[off]
    p.relation[mate] = SON  # as the register lists members of a collective household under its head
    plan.collective.add(int(p.household[off]))
    tenders.append((off, mate, "decoy", "中标企业法定代表人与公职人员同属一个集体户，并非亲属"))

    span = ctx.end_day - s0
    for j, (o, rel, kind, note) in enumerate(tenders):
        org = world.org(org_names[j % 3])
        world.add_payroll(o, org, "项目办副主任", s0 - 1500, planted=True)
        rel_co = world.new_company("construction", rel, planted=True)
        reps = pool.take_shared(pool.adults(25, 62), 2, "投标企业法定代表人")
        others = [world.new_company("construction", int(r), planted=True) for r in reps]
        budget = 2_400_000.0 + 90_000 * j
        prices = world.clean_prices(budget, 3)
        lo = s0 + span * 3 // 10 + span * j // 22
        announce = world.workday_between(lo, lo + 30)
        bids = [
            (rel_co, prices[0], False, ""),
            (others[0], prices[1], False, ""),
            (others[1], prices[2], False, ""),
        ]
        t = world.add_tender(org, bids, budget=budget, announce=announce, planted=True)
        plan.add(MODEL, str(p.id_no[o]), month_of(t["award_date"]), kind, note)
