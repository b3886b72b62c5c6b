"""Livelihood-fund models 2–12 (民生资金): cases and decoys. Model 1 is subsidy_after_death.py.

Each function takes people from the pool (whole households), writes the records that make the
case or the decoy, and records the truth. Parameters assumed by the truth (the model library's
defaults): old-age threshold 80 with 3 recent months; company capital threshold 500,000 yuan;
3 or more recipients from 2 or more households per account and month.
"""

from __future__ import annotations

import numpy as np

from qingfeng.synth import dates, ids, livelihood, names, scales, tables
from qingfeng.synth.plants.base import Plan, Pool, day_in, household_has, month_of
from qingfeng.synth.population import HEAD, Persons
from qingfeng.synth.world import World

CAPITAL_THRESHOLD = 500_000.0


def _elderly(pool: Pool, min_age: int = 81) -> np.ndarray:
    p = pool.p
    return (p.death_day < 0) & (p.age_on(pool.ctx.start_day) >= min_age)


def _rename(p: Persons, i: int, like: int) -> None:
    """Give person i the name of person `like` (a namesake)."""
    p.surname[i], p.g1[i], p.g2[i] = p.surname[like], p.g1[like], p.g2[like]
    p.name[i] = p.name[like]


def _id(pool: Pool, i: int) -> str:
    return str(pool.p.id_no[i])


def old_age_not_enrolled(pool: Pool, plan: Plan) -> None:
    m = "old_age_not_enrolled"
    p, ctx = pool.p, pool.ctx
    last = int(ctx.months[-1])
    for i in pool.take(_elderly(pool), 3, "未领高龄津贴老人"):
        plan.stop_old_age[int(i)] = -(10**6)
        plan.add(m, _id(pool, int(i)), last, "case", "80岁以上在世常住，从未领取高龄津贴（漏保）")
    for i in pool.take(_elderly(pool, 82), 2, "停发高龄津贴老人"):
        plan.stop_old_age[int(i)] = last - 6
        plan.add(m, _id(pool, int(i)), last, "case", "80岁以上在世常住，近半年停发（应发未发）")
    # Decoy: turned 80 last month — not yet due.
    (i,) = pool.take(_elderly(pool, 70) & (p.age_on(ctx.start_day) < 78), 1, "将满80岁老人")
    new_birth = int(dates.add_years(np.array([day_in(last - 1, 12)]), -80)[0])
    _reissue_id(pool, int(i), new_birth)
    plan.add(m, _id(pool, int(i)), last, "decoy", "上月刚满80岁，尚未到发放期")
    # Decoy: moved out of the county.
    (i,) = pool.take(_elderly(pool), 1, "迁出老人")
    moved = day_in(last - 8, 5)
    plan.moved_out[int(i)] = moved
    plan.stop_old_age[int(i)] = last - 7
    plan.add(m, _id(pool, int(i)), last, "decoy", "户籍已迁出本县，不属发放对象")
    # Decoy: the allowance paid by the quarter (three months at once, in the quarter's last month).
    (i,) = pool.take(_elderly(pool), 1, "按季度领取高龄津贴的老人")
    for month in ctx.months:
        if (last - int(month)) % 3:
            plan.drop.add((int(i), int(month)))
        else:
            amount = scales.old_age_amount(np.array([int(p.age_on(int(ctx.start_day))[i])]))[0]
            plan.override(int(i), int(month), "amount", float(amount) * 3)
    plan.add(m, _id(pool, int(i)), last, "decoy", "高龄津贴按季度发放（每季末月发三个月）")
    # Decoy: died, seen only by a hospital death certificate.
    (i,) = pool.take(_elderly(pool), 1, "仅医院死亡证明的老人")
    pool.kill(int(i), day_in(last - 5, 3), False, None)
    plan.add(
        m, _id(pool, int(i)), last, "decoy", "已死亡（仅有医院死亡医学证明，户籍未注销、未火化）"
    )
    # Decoy: paid, but the recent rows carry the old 15-digit ID.
    (i,) = pool.take(_elderly(pool) & ids.born_19xx(p.id_no), 1, "15位身份证号老人")
    for mm in (last - 2, last - 1, last):
        plan.override(int(i), mm, "id_no", str(ids.to15(p.id_no[i : i + 1])[0]))
    plan.add(m, _id(pool, int(i)), last, "decoy", "近3个月正常发放，但发放表身份证号为15位旧号")


def _reissue_id(pool: Pool, i: int, birth_day: int) -> None:
    p = pool.p
    pop = pool.pop
    seq, days = pop._seq.allocate(p.area_idx[i : i + 1], np.array([birth_day]), p.male[i : i + 1])  # type: ignore[attr-defined]
    p.birth_day[i] = days[0]
    p.id_no[i] = ids.build18(pop._areas[p.area_idx[i : i + 1]], days, seq)[0]  # type: ignore[attr-defined]


def _dibao(
    pool: Pool, plan: Plan, heads: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[dict, np.ndarray]:
    hh, mem, pays, _ = livelihood.dibao_cases(pool.p, pool.ctx, pool.rng, heads, start, end)
    plan.add_rows("dibao_households", hh)
    plan.add_rows("dibao_members", mem)
    plan.add_rows("payments", pays)
    return hh, hh["case_no"]


def _heads(pool: Pool, k: int, what: str, lo: int = 25, hi: int = 58) -> np.ndarray:
    p = pool.p
    big = np.bincount(p.household - p.household.min())[p.household - p.household.min()] >= 2
    no_deaths = ~household_has(p, p.death_day >= 0)
    return pool.take(pool.adults(lo, hi) & (p.relation == HEAD) & big & no_deaths, k, what)


def dibao_owns_car(pool: Pool, plan: Plan) -> None:
    m = "dibao_owns_car"
    p, ctx, rng = pool.p, pool.ctx, pool.rng
    s0 = ctx.start_day
    heads = _heads(pool, 8, "低保户主（车辆）")
    start = np.array(
        [s0 - 400, s0 - 300, s0 + 60, s0 + 100, s0 - 200, s0 - 500, s0 - 100, s0 - 250]
    )
    end = np.array([dates.NONE] * 5 + [s0 + 200, dates.NONE, dates.NONE])
    _dibao(pool, plan, heads, start, end)
    reg = np.array([s0 - 900, s0 - 700, s0 + 200, s0 + 300, s0 - 1000, s0 + 320, s0 + 50, s0 - 60])
    vtype = np.array(
        [
            "小型轿车",
            "小型普通客车",
            "小型轿车",
            "小型轿车",
            "小型轿车",
            "小型轿车",
            "普通二轮摩托车",
            "小型轿车",
        ]
    )
    owners = heads.copy()
    # Namesake decoy: the car belongs to another person bearing the head's name.
    (other,) = pool.take(pool.adults(25, 60), 1, "同名车主")
    _rename(p, int(other), int(heads[7]))
    owners[7] = other
    plan.add_rows("vehicles", livelihood.vehicle_rows(p, ctx, rng, owners, reg, vtype))
    for j in range(5):
        plan.add(
            m,
            _id(pool, int(heads[j])),
            month_of(max(int(start[j]), int(reg[j]))),
            "case",
            "低保家庭成员名下有在用小汽车",
        )
    plan.add(m, _id(pool, int(heads[5])), month_of(int(reg[5])), "decoy", "低保已终止后才购车")
    plan.add(
        m, _id(pool, int(heads[6])), month_of(int(start[6])), "decoy", "名下仅有摩托车，非小汽车"
    )
    plan.add(
        m, _id(pool, int(other)), month_of(int(reg[7])), "decoy", "车主与低保户主同名但身份证号不同"
    )


def payroll_in_dibao(pool: Pool, plan: Plan, world: World) -> None:
    m = "payroll_in_dibao"
    p, ctx = pool.p, pool.ctx
    s0 = ctx.start_day
    heads = _heads(pool, 8, "低保户主（财政供养）", 25, 55)
    start = np.array([s0 - 300, s0 - 200, s0 + 30, s0 + 90, s0 - 600, s0 - 100, s0 - 300, s0 - 200])
    end = np.array([dates.NONE] * 5 + [dates.NONE, s0 + 150, dates.NONE])
    _dibao(pool, plan, heads, start, end)
    organ = world.org("都匀市水务局")
    emp = [
        (s0 - 2000, dates.NONE), (s0 - 100, dates.NONE), (s0 + 100, dates.NONE),
        (s0 - 3000, s0 + 200), (s0 - 400, s0 + 30), (s0 - 3000, s0 - 200), (s0 + 300, dates.NONE),
    ]  # fmt: skip
    for j, (a, b) in enumerate(emp):
        world.add_payroll(int(heads[j]), organ, "工勤人员", a, b, planted=True)
    for j in range(5):
        plan.add(
            m,
            _id(pool, int(heads[j])),
            month_of(max(int(start[j]), emp[j][0])),
            "case",
            "财政供养人员所在家庭同期享受低保",
        )
    plan.add(
        m,
        _id(pool, int(heads[5])),
        month_of(int(start[5])),
        "decoy",
        "财政供养任职在纳入低保之前已结束",
    )
    plan.add(
        m, _id(pool, int(heads[6])), month_of(emp[6][0]), "decoy", "低保终止后才入职财政供养单位"
    )
    # A village group leader on a stipend (误工补贴, paid by the township) is not public payroll.
    i = int(heads[7])
    gov = world.township_gov[int(pool.rng.integers(0, len(world.township_gov)))]
    row = world.add_payroll(
        i, gov, "村民小组长", s0 - 900, salary=600.0, planted=True, staff_type="村干部"
    )
    row["org_name"] = f"村民委员会（{gov.name}代发误工补贴）"
    plan.add(
        m, _id(pool, i), month_of(int(start[7])), "decoy", "领取误工补贴的村民小组长家庭享受低保"
    )
    # Namesake decoy: a payroll member elsewhere with a dibao head's name.
    (other,) = pool.take(pool.adults(25, 55), 1, "同名财政供养人员")
    _rename(p, int(other), int(heads[0]))
    world.add_payroll(int(other), world.org("都匀市交通运输局"), "科员", s0 - 1500, planted=True)
    plan.add(
        m,
        _id(pool, int(other)),
        month_of(s0 - 1500),
        "decoy",
        "与低保人员同名的财政供养人员（不同身份证号，不同家庭）",
    )


def dibao_member_owns_company(pool: Pool, plan: Plan, world: World) -> None:
    m = "dibao_member_owns_company"
    p, ctx = pool.p, pool.ctx
    s0 = ctx.start_day
    heads = _heads(pool, 7, "低保户主（企业）", 25, 60)
    start = np.array([s0 - 300, s0 - 100, s0 + 60, s0 - 500, s0 - 50, s0 - 200, s0 - 150])
    _dibao(pool, plan, heads, start, np.full(7, dates.NONE))
    est = [s0 - 1500, s0 - 800, s0 + 10, s0 - 2000, s0 - 600]
    for j in range(3):
        world.new_company(
            "trade", int(heads[j]), capital=800_000.0, established=est[j], planted=True
        )
    reps = pool.take_shared(pool.adults(25, 60), 3, "合伙企业法定代表人")
    for j in (3, 4):
        world.new_company(
            "construction",
            int(reps[j - 3]),
            capital=2_000_000.0,
            established=est[j],
            partners=(int(heads[j]),),
            planted=True,
        )
    for j in range(5):
        plan.add(
            m,
            _id(pool, int(heads[j])),
            month_of(max(int(start[j]), est[j])),
            "case",
            "低保家庭成员担任注册资本50万元以上存续企业的法定代表人或股东",
        )
    world.new_company(
        "trade",
        int(heads[5]),
        capital=900_000.0,
        established=s0 - 3000,
        status="注销",
        cancelled=s0 - 900,
        planted=True,
    )
    plan.add(
        m, _id(pool, int(heads[5])), month_of(int(start[5])), "decoy", "企业在纳入低保前已注销"
    )
    world.new_company("small", int(heads[6]), capital=30_000.0, established=s0 - 700, planted=True)
    plan.add(
        m,
        _id(pool, int(heads[6])),
        month_of(int(start[6])),
        "decoy",
        "个体经营，注册资本3万元，低于阈值",
    )
    (other,) = pool.take_shared(pool.adults(25, 60), 1, "同名法定代表人")
    _rename(p, int(other), int(heads[0]))
    world.new_company(
        "construction", int(other), capital=3_000_000.0, established=s0 - 1200, planted=True
    )
    plan.add(
        m,
        _id(pool, int(other)),
        month_of(s0 - 1200),
        "decoy",
        "法定代表人与低保人员同名但身份证号不同",
    )


def _old_month(pool: Pool, k: int) -> int:
    return int(pool.ctx.months[k % pool.ctx.months.size])


def duplicate_payment(pool: Pool, plan: Plan) -> None:
    m = "duplicate_payment"
    p, ctx = pool.p, pool.ctx
    people = pool.take(_elderly(pool), 9, "重复发放老人")
    for j in range(5):
        i, month = int(people[j]), _old_month(pool, 3 + 2 * j)
        extra = livelihood.payments(p, ctx, np.array([i]), np.array([month]))
        other = (int(p.pid[i]) + 104729) % 10**7
        extra["account_no"] = tables.account_no(np.array([other]))
        extra["division_code"] = ctx.village_codes[
            (p.village_idx[i : i + 1] + 1) % ctx.village_codes.size
        ]
        plan.add_rows("payments", extra)
        plan.add(m, _id(pool, i), month, "case", "同一人同一补贴同一期发放两次（不同账户/村居）")
    # Decoy: same period, two different subsidies (old-age + disability nursing).
    i, month = int(people[5]), _old_month(pool, 5)
    issue = ctx.start_day - 400
    plan.add_rows(
        "disability",
        _cert(pool, np.array([i]), np.array([issue]), np.array([issue + 3650]), "有效", 0),
    )
    plan.add_rows(
        "payments",
        livelihood.payments(
            p, ctx, np.array([i]), np.array([month]), livelihood.NURSING_TYPE, np.array([100.0])
        ),
    )
    plan.add(
        m, _id(pool, i), month, "decoy", "同一期领取两种不同补贴（高龄津贴+重度残疾人护理补贴）"
    )
    # Decoy: back pay — last month's allowance paid on this month's pay day.
    i, month = int(people[6]), _old_month(pool, 9)
    plan.drop.add((i, month - 1))
    back = livelihood.payments(p, ctx, np.array([i]), np.array([month - 1]))
    back["pay_date"] = back["pay_date"] + (
        dates.first_day_of_month(np.array([month]))
        - dates.first_day_of_month(np.array([month - 1]))
    )
    plan.add_rows("payments", back)
    plan.add(m, _id(pool, i), month - 1, "decoy", "上月津贴在本月补发（不同期别，同日发放）")
    # Decoy: namesakes, both paid in the same period.
    _rename(p, int(people[8]), int(people[7]))
    plan.add(
        m,
        _id(pool, int(people[8])),
        _old_month(pool, 11),
        "decoy",
        "两位同名老人同期各领一份（身份证号不同）",
    )


def _cert(
    pool: Pool,
    idx: np.ndarray,
    issue: np.ndarray,
    valid: np.ndarray,
    status: str,
    level: int,
    id_text: np.ndarray | None = None,
) -> dict:
    p = pool.p
    rows = {
        "cert_no": np.strings.add(p.id_no[idx], f"{level + 1}1"),
        **livelihood.person_rows(p, idx),
        "@残疾类别": np.full(idx.size, "肢体"),
        "level": np.full(idx.size, livelihood.LEVELS[level]),
        "issue_date": issue,
        "valid_until": valid,
        "status": np.full(idx.size, status),
    }
    if id_text is not None:
        rows["id_no"] = id_text
        rows["#nomess"] = np.ones(idx.size, bool)
    return rows


def recipient_name_mismatch(pool: Pool, plan: Plan) -> None:
    m = "recipient_name_mismatch"
    p = pool.p
    people = pool.take(_elderly(pool), 8, "冒名领取老人")
    rng = pool.rng
    for j in range(5):
        i, month = int(people[j]), _old_month(pool, 2 + 3 * j)
        g1, g2 = names.draw_given(rng, np.array([True]))
        fake = str(names.compose(names.draw_surname(rng, 1), g1, g2)[0])
        if fake == p.name[i]:
            fake += "娃"
        plan.override(i, month, "name", fake)
        plan.add(m, _id(pool, i), month, "case", "发放表领取人姓名与户籍姓名不一致（他人冒领）")
    trad = names.compose(p.surname[people], p.g1[people], p.g2[people], traditional=True)
    has_t = names.has_traditional(p.surname[people], p.g1[people], p.g2[people])
    for j, note in (
        (5, "繁体字书写的同一姓名"),
        (6, "姓名中间多了空格"),
        (7, "身份证号为全角数字，姓名一致"),
    ):
        i, month = int(people[j]), _old_month(pool, 4 + j)
        if j == 5:
            plan.override(i, month, "name", str(trad[j]) if has_t[j] else str(p.name[i]))
        elif j == 6:
            plan.override(i, month, "name", f"{p.name[i][0]} {p.name[i][1:]}")
        else:
            plan.override(
                i,
                month,
                "id_no",
                str(p.id_no[i]).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
            )
        plan.add(m, _id(pool, i), month, "decoy", note)


def shared_payment_account(pool: Pool, plan: Plan) -> None:
    m = "shared_payment_account"
    people = pool.take(_elderly(pool), 16, "一卡多人老人")
    accounts = [f"62179988{k:011d}" for k in range(1, 7)]
    j = 0
    for a in range(3):
        month = _old_month(pool, 4 + 5 * a)
        for i in people[j : j + 3]:
            for mm in (month, month + 1):
                plan.override(int(i), mm, "account_no", accounts[a], False)
        j += 3
        for mm in (month, month + 1):
            plan.add(m, accounts[a], mm, "case", "同一银行账户同期收到3名以上不同家庭人员的补贴")
    for a, note in (
        (3, "两名不同家庭人员共用一个账户（低于3人阈值）"),
        (4, "两名人员共用账户（低于阈值）"),
    ):
        month = _old_month(pool, 6 + a)
        for i in people[j : j + 2]:
            plan.override(int(i), month, "account_no", accounts[a], False)
        j += 2
        plan.add(m, accounts[a], month, "decoy", note)
    month = _old_month(pool, 3)
    for k, i in enumerate(people[j : j + 3]):
        plan.override(int(i), month + k, "account_no", accounts[5], False)
    plan.add(m, accounts[5], month + 1, "decoy", "3名人员先后在不同月份使用同一账户（非同期）")


def farm_machinery_fraud(pool: Pool, plan: Plan) -> None:
    m = "farm_machinery_fraud"
    p, ctx, rng = pool.p, pool.ctx, pool.rng
    people = pool.take(pool.adults(30, 70), 11, "农机补贴申领人")
    month = _old_month(pool, 6)

    def register(idx: np.ndarray, serials: list[str], id_text: list[str] | None = None) -> None:
        t = {
            "serial_no": np.array(serials),
            **livelihood.person_rows(p, idx, "owner_id_no", "owner_name"),
            "machine_type": np.full(idx.size, "拖拉机"),
            "register_date": np.full(idx.size, day_in(month - 1, 8)),
        }
        if id_text is not None:
            t["owner_id_no"] = np.array(id_text)
            t["#nomess"] = np.ones(idx.size, bool)
        plan.add_rows("farm_machinery", t)

    def claim(i: int, serial: str, mm: int) -> None:
        plan.add_rows(
            "payments",
            livelihood.payments(
                p,
                ctx,
                np.array([i]),
                np.array([mm]),
                livelihood.FARM_TYPE,
                np.array([12000.0]),
                np.array([serial]),
            ),
        )

    s = [f"NJ5227P{k:07d}" for k in range(1, 14)]
    # Same serial claimed twice: the owner claims, then somebody else claims it again.
    for j in (0, 1):
        register(people[j : j + 1], [s[j]])
        claim(int(people[j]), s[j], month)
        claim(int(people[j + 2]), s[j], month + 2)
        plan.add(
            m, _id(pool, int(people[j + 2])), month + 2, "case", "同一出厂编号农机被重复申领补贴"
        )
    # Claims for machines not registered to the claimant.
    claim(int(people[4]), s[2], month + 1)
    plan.add(m, _id(pool, int(people[4])), month + 1, "case", "申领农机补贴但无该农机登记")
    claim(int(people[5]), s[3], month + 3)
    plan.add(m, _id(pool, int(people[5])), month + 3, "case", "申领农机补贴但无该农机登记")
    register(people[7:8], [s[4]])
    claim(int(people[6]), s[4], month + 4)
    plan.add(m, _id(pool, int(people[6])), month + 4, "case", "申领的农机登记在他人名下")
    # Decoys.
    register(np.array([people[8], people[8]]), [s[5], s[6]])
    claim(int(people[8]), s[5], month)
    claim(int(people[8]), s[6], month + 1)
    plan.add(
        m, _id(pool, int(people[8])), month + 1, "decoy", "同一人两台农机各申领一次（编号不同）"
    )
    i9 = int(people[9])
    if ids.born_19xx(p.id_no[i9 : i9 + 1])[0]:
        text9 = str(ids.to15(p.id_no[i9 : i9 + 1])[0])
        note9 = "农机登记使用15位旧身份证号，实为本人"
    else:
        text9 = " " + str(p.id_no[i9]).lower()
        note9 = "农机登记身份证号带空格、小写x，实为本人"
    register(people[9:10], [s[7]], [text9])
    claim(i9, s[7], month + 2)
    plan.add(m, _id(pool, i9), month + 2, "decoy", note9)
    i10 = int(people[10])
    register(
        people[10:11],
        [s[8]],
        [str(p.id_no[i10]).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))],
    )
    claim(i10, s[8], month + 3)
    plan.add(m, _id(pool, i10), month + 3, "decoy", "农机登记身份证号为全角数字，实为本人")
    del rng


def disability_subsidy_without_certificate(pool: Pool, plan: Plan) -> None:
    m = "disability_subsidy_without_certificate"
    p, ctx = pool.p, pool.ctx
    people = pool.take(pool.adults(20, 75), 8, "残疾补贴领取人")
    nurse = livelihood.NURSING_TYPE

    def pay(i: int, month: int) -> None:
        plan.add_rows(
            "payments",
            livelihood.payments(p, ctx, np.array([i]), np.array([month]), nurse, np.array([100.0])),
        )

    for j in (0, 1):
        month = _old_month(pool, 5 + j)
        pay(int(people[j]), month)
        plan.add(m, _id(pool, int(people[j])), month, "case", "无残疾人证却领取残疾人补贴")
    for j in (2, 3):
        month = _old_month(pool, 8 + j)
        valid = day_in(month - 2, 20)
        plan.add_rows(
            "disability",
            _cert(
                pool, people[j : j + 1], np.array([valid - 3650 + 1]), np.array([valid]), "有效", 0
            ),
        )
        pay(int(people[j]), month)
        plan.add(m, _id(pool, int(people[j])), month, "case", "残疾人证已过有效期仍领取补贴")
    month = _old_month(pool, 13)
    plan.add_rows(
        "disability",
        _cert(
            pool,
            people[4:5],
            np.array([ctx.start_day - 800]),
            np.array([ctx.start_day + 2800]),
            "注销",
            1,
        ),
    )
    pay(int(people[4]), month)
    plan.add(m, _id(pool, int(people[4])), month, "case", "残疾人证已注销仍领取补贴")
    # Decoys: renewed certificate; ID written in 15 digits; paid on the last valid day.
    month = _old_month(pool, 10)
    old_valid = day_in(month - 3, 1)
    plan.add_rows(
        "disability",
        _cert(pool, people[5:6], np.array([old_valid - 3650]), np.array([old_valid]), "有效", 0),
    )
    plan.add_rows(
        "disability",
        _cert(
            pool, people[5:6], np.array([old_valid + 1]), np.array([old_valid + 3650]), "有效", 0
        ),
    )
    pay(int(people[5]), month)
    plan.add(m, _id(pool, int(people[5])), month, "decoy", "旧证过期后已换发新证，新证有效")
    i6 = int(people[6])
    month = _old_month(pool, 12)
    text = (
        str(ids.to15(p.id_no[i6 : i6 + 1])[0])
        if ids.born_19xx(p.id_no[i6 : i6 + 1])[0]
        else str(p.id_no[i6]).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    )
    plan.add_rows(
        "disability",
        _cert(
            pool,
            people[6:7],
            np.array([ctx.start_day - 300]),
            np.array([ctx.start_day + 3300]),
            "有效",
            1,
            np.array([text]),
        ),
    )
    pay(i6, month)
    plan.add(
        m, _id(pool, i6), month, "decoy", "残疾人证上的身份证号为旧号/全角，实为同一人且证件有效"
    )
    i7 = int(people[7])
    month = _old_month(pool, 14)
    town = ctx.village_township[p.village_idx[i7]]
    pay_day = int(ctx.pay_day(np.array([town]), np.array([month]))[0])
    plan.add_rows(
        "disability",
        _cert(pool, people[7:8], np.array([pay_day - 3649]), np.array([pay_day]), "有效", 0),
    )
    pay(i7, month)
    plan.add(m, _id(pool, i7), month, "decoy", "发放日恰为证件有效期最后一天（仍在有效期内）")


def medical_claim_anomaly(pool: Pool, plan: Plan) -> None:
    m = "medical_claim_anomaly"
    p, ctx, rng = pool.p, pool.ctx, pool.rng
    people = pool.take(pool.adults(40, 85), 8, "医保结算人员")
    hosp = livelihood.HOSPITALS

    def claim(i: int, kind: str, adm: int, dis: int, h: int = 0) -> None:
        plan.add_rows(
            "medical",
            livelihood.claim_rows(
                p,
                ctx,
                rng,
                np.array([i]),
                kind,
                np.array([adm]),
                np.array([dis]),
                np.array([hosp[h]]),
            ),
        )

    for j, kind in ((0, "门诊"), (1, "住院"), (2, "住院")):
        i = int(people[j])
        death = day_in(_old_month(pool, 4 + 3 * j), 10)
        pool.kill(i, death, True, 30)
        adm = death + 40
        claim(i, kind, adm, adm + (0 if kind == "门诊" else 6))
        plan.add(m, _id(pool, i), month_of(adm), "case", "死亡后仍发生医保结算（冒用社保卡）")
    for j in (3, 4):
        i = int(people[j])
        a1 = day_in(_old_month(pool, 6 + 4 * j), 3)
        claim(i, "住院", a1, a1 + 12, 0)
        claim(i, "住院", a1 + 5, a1 + 15, 2)
        plan.add(m, _id(pool, i), month_of(a1 + 5), "case", "两家医院住院时间重叠")
    # Decoys.
    i = int(people[5])
    death = day_in(_old_month(pool, 9), 18)
    pool.kill(i, death, False, 40)
    plan.death_fixed.add(i)
    plan.add_rows(
        "hospital_deaths",
        {
            "@证明编号": np.array(["SWP000001"]),
            **livelihood.person_rows(p, np.array([i])),
            "death_date": np.array([death]),
            "@死亡地点": np.array(["医疗卫生机构"]),
            "record_date": np.array([death]),
        },
    )
    claim(i, "住院", death - 8, death)
    plan.add(m, _id(pool, i), month_of(death - 8), "decoy", "住院期间死亡，出院日期即死亡日期")
    i = int(people[6])
    a1 = day_in(_old_month(pool, 12), 2)
    claim(i, "住院", a1, a1 + 9, 3)
    claim(i, "住院", a1 + 9, a1 + 20, 0)
    plan.add(
        m, _id(pool, i), month_of(a1 + 9), "decoy", "转院：前一次出院当天入住下一家医院（不重叠）"
    )
    i = int(people[7])
    a1 = day_in(_old_month(pool, 15), 4)
    claim(i, "住院", a1, a1 + 10, 0)
    claim(i, "门诊", a1 + 3, a1 + 3, 1)
    plan.add(m, _id(pool, i), month_of(a1 + 3), "decoy", "住院期间另有一次门诊结算（只比对住院）")
    # the same visit is what hospital_split_or_phantom_bed looks for: out of the bed, elsewhere
    plan.add(
        "hospital_split_or_phantom_bed",
        _id(pool, i),
        month_of(a1 + 3),
        "case",
        "住院期间在另一医院门诊结算（挂床住院）",
    )


def approval_for_relative(pool: Pool, plan: Plan, world: World) -> None:
    m = "approval_for_relative"
    p, ctx = pool.p, pool.ctx
    adult = pool.adults(22, 60)
    old = _elderly(pool)
    with_adult = household_has(p, adult) & old
    recips = pool.take(with_adult, 6, "有成年亲属的老人")
    for j in range(6):
        r = int(recips[j])
        rel = np.flatnonzero((p.household == p.household[r]) & adult)[0]
        town = ctx.village_township[p.village_idx[r]]
        world.add_payroll(
            int(rel),
            world.township_gov[town],
            "民政专干（代岗）",
            ctx.start_day - 600,
            planted=True,
        )
        month = _old_month(pool, 3 + 3 * j)
        if j < 5:
            plan.override(r, month, "approver_id_no", str(p.id_no[rel]), False)
            plan.add(m, _id(pool, int(rel)), month, "case", "审批人审批本户亲属的高龄津贴")
        else:
            plan.add(m, _id(pool, int(rel)), month, "decoy", "亲属的津贴由其他审批人审批")
    # Decoy: approver with the recipient's surname, different household.
    r2, b = pool.take(old, 1, "老人（同姓审批）")[0], pool.take(adult, 1, "同姓审批人")[0]
    p.surname[b] = p.surname[r2]
    p.name[b] = names.compose(p.surname[b : b + 1], p.g1[b : b + 1], p.g2[b : b + 1])[0]
    world.add_payroll(
        int(b),
        world.township_gov[ctx.village_township[p.village_idx[r2]]],
        "民政专干（代岗）",
        ctx.start_day - 500,
        planted=True,
    )
    month = _old_month(pool, 7)
    plan.override(int(r2), month, "approver_id_no", str(p.id_no[b]), False)
    plan.add(m, _id(pool, int(b)), month, "decoy", "审批人与领取人同姓但不同户、非亲属")
    # Decoy: approver approves a neighbour in the same village.
    r3 = int(pool.take(old, 1, "老人（邻居审批）")[0])
    c = (
        int(pool.take(adult & (p.village_idx == p.village_idx[r3]), 1, "同村审批人")[0])
        if (adult & (p.village_idx == p.village_idx[r3]) & ~pool.used).any()
        else int(pool.take(adult, 1, "审批人")[0])
    )
    world.add_payroll(
        c,
        world.township_gov[ctx.village_township[p.village_idx[r3]]],
        "民政专干（代岗）",
        ctx.start_day - 500,
        planted=True,
    )
    month = _old_month(pool, 9)
    plan.override(r3, month, "approver_id_no", str(p.id_no[c]), False)
    plan.add(m, _id(pool, c), month, "decoy", "审批同村邻居（非同户亲属）")


def hospital_split_or_phantom_bed(pool: Pool, plan: Plan) -> None:
    """Split stays and phantom beds, beside a transfer, a readmission after the limit and a
    pharmacy visit on the discharge day (lawful)."""
    m = "hospital_split_or_phantom_bed"
    p, ctx, rng = pool.p, pool.ctx, pool.rng
    people = pool.take(pool.adults(40, 85), 5, "分解住院与挂床人员")
    hosp = livelihood.HOSPITALS

    def claim(i: int, kind: str, adm: int, dis: int, h: int) -> None:
        plan.add_rows(
            "medical",
            livelihood.claim_rows(
                p,
                ctx,
                rng,
                np.array([i]),
                kind,
                np.array([adm]),
                np.array([dis]),
                np.array([hosp[h]]),
            ),
        )

    i = int(people[0])  # discharged, back in the same hospital 5 days later
    a1 = day_in(_old_month(pool, 5), 3)
    claim(i, "住院", a1, a1 + 8, 1)
    claim(i, "住院", a1 + 13, a1 + 21, 1)
    plan.add(m, _id(pool, i), month_of(a1 + 13), "case", "出院5天后同一医院再次住院（分解住院）")
    i = int(people[1])  # in a bed at the township clinic, buying at a city hospital meanwhile
    a1 = day_in(_old_month(pool, 8), 2)
    claim(i, "住院", a1, a1 + 12, 3)
    claim(i, "门诊", a1 + 5, a1 + 5, 0)
    plan.add(m, _id(pool, i), month_of(a1 + 5), "case", "住院期间在另一医院门诊结算（挂床住院）")
    # Decoys.
    i = int(people[2])  # transferred on the discharge day to another hospital
    a1 = day_in(_old_month(pool, 11), 2)
    claim(i, "住院", a1, a1 + 7, 3)
    claim(i, "住院", a1 + 7, a1 + 17, 2)
    plan.add(m, _id(pool, i), month_of(a1 + 7), "decoy", "出院当天转往上级医院住院")
    i = int(people[3])  # readmitted to the same hospital after 40 days
    a1 = day_in(_old_month(pool, 13), 2)
    claim(i, "住院", a1, a1 + 6, 0)
    claim(i, "住院", a1 + 46, a1 + 52, 0)
    plan.add(m, _id(pool, i), month_of(a1 + 46), "decoy", "出院40天后同一医院再次住院")
    i = int(people[4])  # outpatient visit elsewhere on the discharge day
    a1 = day_in(_old_month(pool, 15), 4)
    claim(i, "住院", a1, a1 + 9, 2)
    claim(i, "门诊", a1 + 9, a1 + 9, 0)
    plan.add(m, _id(pool, i), month_of(a1 + 9), "decoy", "出院当天在另一医院门诊复查")


def moved_out_farm_subsidy(pool: Pool, plan: Plan) -> None:
    """A farmer who moved out of the county still receives the cultivated-land subsidy for the
    land he keeps contracting: the registry marks him 迁出, not dead (subsidy_after_death decoy)."""
    p, ctx = pool.p, pool.ctx
    last = int(ctx.months[-1])
    (i,) = pool.take(pool.adults(35, 60), 1, "迁出后仍领耕地地力补贴的农民")
    plan.moved_out[int(i)] = day_in(last - 10, 12)
    months = np.array([last - 6, last - 1])
    plan.add_rows(
        "payments",
        tables.payments(
            p, ctx, np.full(2, int(i)), months, "耕地地力保护补贴", np.array([420.0, 420.0])
        ),
    )
    for month in months:
        plan.add(
            "subsidy_after_death",
            _id(pool, int(i)),
            int(month),
            "decoy",
            "户籍迁出（非死亡）后继续领取耕地地力保护补贴",
        )


def exclusive_benefits_overlap(pool: Pool, plan: Plan) -> None:
    """One person paid dibao and extreme-poverty support for the same months; beside him one
    switched from dibao to extreme-poverty support (one benefit a month, lawful)."""
    m = "exclusive_benefits_overlap"
    p, ctx = pool.p, pool.ctx
    people = pool.take(pool.adults(40, 75), 2, "低保与特困人员")
    k0 = int(ctx.months[4])
    both = np.arange(k0, k0 + 3)
    i = int(people[0])
    for kind, amount in (("最低生活保障金", 620.0), ("特困人员救助供养金", 980.0)):
        plan.add_rows(
            "payments",
            tables.payments(p, ctx, np.full(3, i), both, kind, np.full(3, amount)),
        )
    plan.add(m, _id(pool, i), int(both[0]), "case", "同一人同月既领低保金又领特困供养金")
    i = int(people[1])
    before, after = np.arange(k0, k0 + 3), np.arange(k0 + 3, k0 + 6)
    plan.add_rows(
        "payments",
        tables.payments(p, ctx, np.full(3, i), before, "最低生活保障金", np.full(3, 620.0)),
    )
    plan.add_rows(
        "payments",
        tables.payments(p, ctx, np.full(3, i), after, "特困人员救助供养金", np.full(3, 980.0)),
    )
    plan.add(m, _id(pool, i), int(after[0]), "decoy", "由低保转为特困供养，前后月份各领一种")
