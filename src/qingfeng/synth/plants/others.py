"""Conduct (24–26), school meals (27–29), rural collective assets (30–31) and complaints (32).

Subjects: reception number (24, 25), trip number (26), school credit code (27, 28), staff member's
ID (29), voucher number (30, 31), complaint number or complaint target (32)."""

from __future__ import annotations

from typing import Any

import numpy as np

from qingfeng.synth import dates, holidays
from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.livelihood import _id
from qingfeng.synth.truth import Planted
from qingfeng.synth.world import DECISION_REQUIRED, World

MIN = dates.MINUTES_PER_DAY


def _weekend(pool: Pool, k: int, after: int) -> int:
    """The k-th plain weekend day (not a make-up workday) after a day."""
    d = np.arange(pool.ctx.start_day + after, pool.ctx.end_day)
    wd = (d + 3) % 7
    days = d[(wd >= 5) & ~holidays.is_workday(d)]
    return int(days[k * 3])


def _holiday(pool: Pool) -> int:
    d = holidays.holidays_in(pool.ctx.start_day, pool.ctx.end_day)
    wd = (d + 3) % 7
    weekday_holidays = d[wd < 5]
    return int(weekday_holidays[len(weekday_holidays) // 2])


def _makeup(pool: Pool, k: int) -> int:
    d = holidays.makeup_in(pool.ctx.start_day, pool.ctx.end_day)
    return int(d[k % d.size]) if d.size else pool.ctx.start_day + 5


def conduct(pool: Pool, plan: Plan, world: World) -> None:
    org = world.org("都匀市农业农村局")

    def wd(k: int) -> int:
        return world.workday_between(pool.ctx.start_day + 20 * k, pool.ctx.start_day + 20 * k + 10)

    m = "reception_over_standard"

    def rec(day: int, g: int, s: int, cost: float, **kw: object) -> dict[str, Any]:
        return world.add_reception(org, day, g, s, cost, planted=True, **kw)  # type: ignore[arg-type]

    for k in range(3):
        r = rec(wd(k), 4, 2, 6 * 260.0)
        plan.add(
            m,
            r["reception_no"],
            month_of(r["reception_date"]),
            "case",
            "人均接待费260元，超过120元标准",
        )
    for k in (3, 4):
        r = rec(wd(k), 5, 2, 7 * 80.0, approval="")
        plan.add(
            m, r["reception_no"], month_of(r["reception_date"]), "case", "无公函/审批单的公务接待"
        )
    r = rec(wd(5), 12, 3, 15 * 100.0)
    plan.add(
        m,
        r["reception_no"],
        month_of(r["reception_date"]),
        "decoy",
        "总额较高但来宾多，人均100元未超标",
    )
    r = rec(wd(6), 4, 2, 6 * 120.0)
    plan.add(
        m, r["reception_no"], month_of(r["reception_date"]), "decoy", "人均恰为120元标准（未超过）"
    )
    r = rec(wd(7), 3, 1, 4 * 90.0, approval="黔南函〔2024〕37号")
    plan.add(
        m,
        r["reception_no"],
        month_of(r["reception_date"]),
        "decoy",
        "审批单号为公函文号格式，属有审批",
    )

    m = "reception_weekend_or_luxury"
    for k in range(2):
        r = rec(_weekend(pool, k, 40), 4, 2, 6 * 80.0, venue="螺丝壳农家乐", venue_type="农家乐")
        plan.add(m, r["reception_no"], month_of(r["reception_date"]), "case", "周末在农家乐接待")
    r = rec(_holiday(pool), 4, 2, 6 * 80.0, venue="螺丝壳农家乐", venue_type="农家乐")
    plan.add(m, r["reception_no"], month_of(r["reception_date"]), "case", "法定节假日在农家乐接待")
    r = rec(wd(8), 4, 2, 6 * 80.0, venue="斗篷山景区山庄", venue_type="旅游景区")
    plan.add(m, r["reception_no"], month_of(r["reception_date"]), "case", "在旅游景区接待")
    r = rec(wd(9), 4, 2, 6 * 80.0, venue="剑江壹号会所", venue_type="高档会所")
    plan.add(m, r["reception_no"], month_of(r["reception_date"]), "case", "在高档会所接待")
    r = rec(_makeup(pool, 0), 4, 2, 6 * 80.0)
    plan.add(
        m, r["reception_no"], month_of(r["reception_date"]), "decoy", "调休上班的周末（工作日）接待"
    )
    r = rec(wd(10), 4, 2, 6 * 80.0, venue="斗篷山路机关食堂", venue_type="机关食堂")
    plan.add(
        m, r["reception_no"], month_of(r["reception_date"]), "decoy", "地点名含“斗篷山”但为机关食堂"
    )
    r = rec(wd(11), 4, 2, 6 * 80.0, venue="都匀宾馆", venue_type="定点饭店")
    plan.add(m, r["reception_no"], month_of(r["reception_date"]), "decoy", "工作日在定点饭店接待")

    m = "official_car_private_use"
    plate = world.plates[org.uscc]
    driver = next(i for i, o in world.payroll_of.items() if o.kind in ("organ", "township"))

    def trip(
        start_min: int, hours: float, dest: str = "平浪镇凯口村", dtype: str = "村（社区）"
    ) -> dict[str, Any]:
        return world.add_trip(
            org,
            plate,
            driver,
            start_min,
            hours,
            destination=dest,
            destination_type=dtype,
            planted=True,
        )

    for k in range(2):
        t = trip(wd(12 + k) * MIN + 22 * 60 + 30, 2.5)
        add_vehicle_day(plan, m, t, "case", "夜间22:30出车")
    for k in range(2):
        t = trip(_weekend(pool, 5 + k, 60) * MIN + 9 * 60, 5)
        add_vehicle_day(plan, m, t, "case", "周末出车")
    t = trip(wd(14) * MIN + 10 * 60, 4, "斗篷山景区", "旅游景区")
    add_vehicle_day(plan, m, t, "case", "公车开往旅游景区")
    t = trip(_makeup(pool, 1) * MIN + 9 * 60, 3)
    add_vehicle_day(plan, m, t, "decoy", "调休上班日出车")
    t = trip(wd(15) * MIN + 18 * 60 + 20, 3.5)
    add_vehicle_day(plan, m, t, "decoy", "21:50回车，未进入夜间时段")
    t = trip(wd(16) * MIN + 6 * 60 + 10, 2)
    add_vehicle_day(plan, m, t, "decoy", "06:10出车，已过夜间时段")


def add_vehicle_day(plan: Plan, model: str, trip: dict[str, Any], kind: str, note: str) -> None:
    """Truth of a car trip: the vehicle on the day it left (one warning per vehicle-day)."""
    day = dates.date_of(int(trip["start_time"]) // MIN).isoformat()
    plan.planted.append(Planted(model, str(trip["plate_no"]), day, kind, note))  # type: ignore[arg-type]


def _term_end_days(pool: Pool) -> list[int]:
    """Term ends (10 Jul, 15 Jan) and year end (31 Dec) inside the period, 30+ days in."""
    out = []
    for y in range(
        dates.date_of(pool.ctx.start_day).year, dates.date_of(pool.ctx.end_day).year + 1
    ):
        for md in ("01-15", "07-10", "12-31"):
            d = dates.day_of_iso(f"{y}-{md}")
            if pool.ctx.start_day + 60 <= d <= pool.ctx.end_day:
                out.append(d)
    return sorted(out)


def school_meals(pool: Pool, plan: Plan, world: World) -> None:
    days = world.school_days()
    ends = _term_end_days(pool)
    schools = world.schools
    m = "canteen_stockpiling"
    # Cases: schools 0..4 triple their purchases in the 15 days before a term or year end.
    for j in range(5):
        s, end = schools[j % len(schools)], ends[j % len(ends)]
        window = days[(days > end - 15) & (days <= end)]
        world.canteen_rows(s, window, 3.0, 0.03, planted=True)
        plan.add(m, s.uscc, month_of(end), "case", "期末/年末前15天突击采购，金额为平时4倍")
    s = schools[5 % len(schools)]
    end = ends[0]
    window = days[(days > end - 15) & (days <= end)]
    world.canteen_rows(s, window, 0.3, 0.03, planted=True)
    plan.add(m, s.uscc, month_of(end), "decoy", "期末前采购仅增加30%")
    start_window = days[(days > end + 45) & (days <= end + 75)]
    world.canteen_rows(s, start_window, 2.0, 0.03, planted=True)
    plan.add(
        m,
        s.uscc,
        month_of(int(start_window[0])) if start_window.size else month_of(end),
        "decoy",
        "开学初集中备货，不在期末窗口",
    )
    early = days[(days > end - 40) & (days <= end - 25)]
    world.canteen_rows(schools[4 % len(schools)], early, 2.0, 0.03, planted=True)
    plan.add(
        m,
        schools[4 % len(schools)].uscc,
        month_of(end),
        "decoy",
        "期末前25–40天的大额采购，不在15天窗口内",
    )

    m = "canteen_spend_outlier"
    term_ends = [
        e
        for e in _term_end_days(pool)
        if dates.date_of(e).month != 12 and e - 150 >= pool.ctx.start_day
    ]
    for j in range(8):
        s = schools[(6 + j) % len(schools)]
        end = term_ends[j % len(term_ends)]
        term = days[(days > end - 120) & (days <= end)]
        if j < 3:
            world.premium_rows(s, term, 0.35, planted=True)
            kind, note = "case", "高档食材占比约28%，远高于同类学校"
        elif j < 5:
            world.canteen_rows(s, term, 1.0, 0.03, planted=True)
            kind, note = "case", "生均伙食支出为同类学校2倍"
        elif j == 5:
            world.canteen_rows(s, term, 0.2, 0.03, planted=True)
            kind, note = "decoy", "生均支出高出约20%，未达1.5倍"
        else:
            world.premium_rows(s, term, 0.05 if j == 6 else 0.1, planted=True)
            kind, note = "decoy", "高档食材占比8%–12%，未达15%"
        plan.add(m, s.uscc, month_of(end), kind, note)

    m = "canteen_supplier_relative"
    p = pool.p
    for j in range(8):
        s = schools[(j + 7) % len(schools)]
        people = pool.take(pool.adults(25, 55) & _has_adult_relative(pool), 1, "学校教职工")
        staff = int(people[0])
        rel = _relative_of(pool, staff)
        world.add_payroll(
            staff,
            s if j != 5 else schools[(j + 1) % len(schools)],
            "教师",
            pool.ctx.start_day - 1500,
            planted=True,
        )
        first = days[(days >= pool.ctx.start_day + 30 * (j + 1))][:5]
        if j < 5:
            co = world.new_company("food", rel, planted=True)
            world.canteen_rows(s, first, 0.0, 0.0, supplier=co, planted=True)
            plan.add(
                m,
                _id(pool, staff),
                month_of(int(first[0])),
                "case",
                "食堂供应商为本校教职工近亲属开办",
            )
        elif j == 5:
            co = world.new_company("food", rel, planted=True)
            world.canteen_rows(s, first, 0.0, 0.0, supplier=co, planted=True)
            plan.add(
                m,
                _id(pool, staff),
                month_of(int(first[0])),
                "decoy",
                "亲属企业供应的是其他学校（非本人任职学校）",
            )
        elif j == 6:
            world.new_company("trade", rel, planted=True)
            plan.add(
                m,
                _id(pool, staff),
                month_of(int(first[0])),
                "decoy",
                "亲属开办的商贸企业未向本校供货",
            )
        else:
            (stranger,) = pool.take_shared(pool.adults(25, 60), 1, "同名供应商法人")
            from qingfeng.synth.plants.livelihood import _rename

            _rename(p, int(stranger), rel)
            co = world.new_company("food", int(stranger), planted=True)
            world.canteen_rows(s, first, 0.0, 0.0, supplier=co, planted=True)
            plan.add(
                m,
                _id(pool, staff),
                month_of(int(first[0])),
                "decoy",
                "供应商法定代表人与教职工亲属同名但不是同一人",
            )


def _has_adult_relative(pool: Pool) -> np.ndarray:
    p = pool.p
    adult = (p.age_on(pool.ctx.start_day) >= 22) & (p.death_day < 0)
    off = p.household - p.household.min()
    return np.bincount(off, weights=adult.astype(float))[off] >= 2


def _relative_of(pool: Pool, i: int) -> int:
    p = pool.p
    fam = np.flatnonzero(
        (p.household == p.household[i]) & (p.age_on(pool.ctx.start_day) >= 22) & (p.death_day < 0)
    )
    return int(fam[fam != i][0])


def rural(pool: Pool, plan: Plan, world: World) -> None:
    p = pool.p
    grown = (p.age_on(pool.ctx.start_day) >= 16) & (p.death_day < 0)
    off = p.household - p.household.min()
    family = np.bincount(off, weights=grown.astype(float))[off] >= 2
    villages = [(v, c) for v, c in world.cadres.items() if family[c]]
    if len(villages) < 3:
        from qingfeng.synth.plants.base import NotEnoughPeople

        raise NotEnoughPeople(
            "人口太少，村干部家庭不足 / too few village cadres with family; use more --persons"
        )
    m = "village_payment_irregular"

    def wd(k: int) -> int:
        return world.workday_between(
            pool.ctx.start_day + 20 * k + 5, pool.ctx.start_day + 20 * k + 15
        )

    for j in range(3):
        v, cadre = villages[j % len(villages)]
        fam = np.flatnonzero(
            (p.household == p.household[cadre])
            & (np.arange(len(p)) != cadre)
            & (p.age_on(pool.ctx.start_day) >= 16)
        )
        payee = int(fam[0]) if fam.size else int(pool.take(pool.adults(20, 70), 1, "亲属")[0])
        if not fam.size:  # make the payee a household member in truth: use a cadre with family
            payee = cadre
        r = world.add_ledger(v, wd(j), payee, 3260.45, purpose="公益岗位补贴", planted=True)
        plan.add(
            m, r["voucher_no"], month_of(r["entry_date"]), "case", "村集体资金支付给村干部同户亲属"
        )
    for j in (3, 4):
        v, _cadre = villages[j % len(villages)]
        (payee,) = pool.take(pool.adults(20, 70), 1, "村集体收款人")
        r = world.add_ledger(v, wd(j), int(payee), 18650.30, decision="", planted=True)
        plan.add(
            m,
            r["voucher_no"],
            month_of(r["entry_date"]),
            "case",
            "5000元以上支出无村民代表会议决议",
        )
    v, cadre = villages[5 % len(villages)]
    (other,) = pool.take(pool.adults(20, 70), 1, "同姓村民")
    p.surname[other] = p.surname[cadre]
    from qingfeng.synth import names

    p.name[other] = names.compose(
        p.surname[other : other + 1], p.g1[other : other + 1], p.g2[other : other + 1]
    )[0]
    r = world.add_ledger(v, wd(5), int(other), 2890.12, planted=True)
    plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "decoy", "收款人与村干部同姓但非同户")
    (payee,) = pool.take(pool.adults(20, 70), 1, "村集体收款人")
    r = world.add_ledger(v, wd(6), int(payee), DECISION_REQUIRED - 1.0, decision="", planted=True)
    plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "decoy", "4999元，未达需决议的5000元")
    v2, cadre2 = villages[6 % len(villages)]
    v3 = villages[7 % len(villages)][0]
    if v3 == v2:
        v3 = (v2 + 1) % len(pool.ctx.village_codes)
    fam = np.flatnonzero(
        (p.household == p.household[cadre2]) & (np.arange(len(p)) != cadre2) & grown
    )
    payee = int(fam[0])
    r = world.add_ledger(v3, wd(7), payee, 2100.66, planted=True)
    plan.add(
        m,
        r["voucher_no"],
        month_of(r["entry_date"]),
        "decoy",
        "村干部亲属在其他村（非其任职村）领取劳务费",
    )

    m = "village_cash_or_round"
    for j in range(3):
        v, _c = villages[(j + 8) % len(villages)]
        (payee,) = pool.take(pool.adults(20, 70), 1, "现金收款人")
        r = world.add_ledger(v, wd(8 + j), int(payee), 7320.50 + j, method="现金", planted=True)
        plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "case", "5000元以上大额现金支付")
    for j in range(2):
        v, _c = villages[(j + 11) % len(villages)]
        (payee,) = pool.take(pool.adults(20, 70), 1, "整数金额收款人")
        r = world.add_ledger(v, wd(11 + j), int(payee), 30000.0 + 10000 * j, planted=True)
        plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "case", "1万元以上整千元金额支付")
    for j, (amt, method, note) in enumerate(
        (
            (1800.25, "现金", "小额现金1800元"),
            (20000.5, "转账", "2万元转账但有零头，非整数"),
            (9000.0, "转账", "9000元整数但低于1万元"),
        )
    ):
        v, _c = villages[(j + 13) % len(villages)]
        (payee,) = pool.take(pool.adults(20, 70), 1, "村集体收款人")
        r = world.add_ledger(v, wd(13 + j), int(payee), amt, method=method, planted=True)
        plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "decoy", note)


def complaints(pool: Pool, plan: Plan, world: World) -> None:
    m = "complaint_anomaly"
    ctx = pool.ctx
    end = ctx.end_day

    def recv(d: int) -> int:
        return d * MIN + 10 * 60

    for j in range(2):
        target = f"都匀市{['平浪镇凯口村', '墨冲镇良亩村'][j]}村民委员会"
        for k in range(3):
            c = world.add_complaint(
                recv(ctx.start_day + 100 + 60 * j + 20 * k),
                target,
                "都匀市民政局",
                reply_after_min=5 * MIN,
                planted=True,
            )
        plan.add(
            m, target, month_of(int(c["received_at"]) // MIN), "case", "同一对象90天内被反复投诉3次"
        )
    for j in range(2):
        c = world.add_complaint(
            recv(end - 120 - 10 * j),
            f"都匀市剑江{j}号小区物业",
            "都匀市住房和城乡建设局",
            reply_after_min=None,
            planted=True,
        )
        plan.add(
            m,
            c["complaint_no"],
            month_of(int(c["received_at"]) // MIN),
            "case",
            "受理超过60天仍未办结",
        )
    c = world.add_complaint(
        recv(ctx.start_day + 150),
        "都匀市文峰农贸市场",
        "都匀市市场监督管理局",
        reply_after_min=25,
        planted=True,
    )
    plan.add(
        m,
        c["complaint_no"],
        month_of(int(c["received_at"]) // MIN),
        "case",
        "受理后25分钟即答复办结（敷衍）",
    )
    same = "您反映的问题已收悉，已转相关部门处理，感谢您的支持。"
    cs = [
        world.add_complaint(
            recv(ctx.start_day + 200 + 30 * k),
            f"都匀市{n}",
            "都匀市交通运输局",
            reply_after_min=3 * MIN,
            reply=same,
            planted=True,
        )
        for k, n in enumerate(("东山客运站", "城南公交站", "匀东出租车公司"))
    ]
    for c in cs:
        plan.add(
            m,
            c["complaint_no"],
            month_of(int(c["received_at"]) // MIN),
            "case",
            "不同工单答复内容完全相同（复制粘贴）",
        )
    target = "都匀市绿茵湖社区居委会"
    for k in range(2):
        c = world.add_complaint(
            recv(ctx.start_day + 300 + 30 * k),
            target,
            "都匀市民政局",
            reply_after_min=6 * MIN,
            planted=True,
        )
    plan.add(
        m, target, month_of(int(c["received_at"]) // MIN), "decoy", "同一对象90天内仅被投诉2次"
    )
    c = world.add_complaint(
        recv(end - 14),
        "都匀市沙包堡菜市场",
        "都匀市市场监督管理局",
        reply_after_min=None,
        planted=True,
    )
    plan.add(
        m,
        c["complaint_no"],
        month_of(int(c["received_at"]) // MIN),
        "decoy",
        "受理14天未办结，尚在热线办理期限内",
    )
    c = world.add_complaint(
        recv(ctx.start_day + 250),
        "都匀市广惠路施工工地",
        "都匀市住房和城乡建设局",
        reply_after_min=3 * 60,
        planted=True,
    )
    plan.add(
        m,
        c["complaint_no"],
        month_of(int(c["received_at"]) // MIN),
        "decoy",
        "3小时后答复，不属过快",
    )
