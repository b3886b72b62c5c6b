"""Lawful look-alikes that practitioners meet every week, planted as decoys (must stay unflagged).

Each one is a situation a rule read too literally would flag: a hotline ticket closed on the spot,
the same complaint filed twice and answered alike, flood-control duty on a Saturday, a meeting
that ran past 22:00, a weekend reception with an approval letter in the official canteen, a village
cadre's stipend and a land rent paid in round sums."""

from __future__ import annotations

from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.others import MIN, _weekend, add_vehicle_day
from qingfeng.synth.world import World


def plant(pool: Pool, plan: Plan, world: World) -> None:
    complaints(pool, plan, world)
    conduct(pool, plan, world)
    ledgers(pool, plan, world)


def _workday(pool: Pool, world: World, k: int) -> int:
    start = pool.ctx.start_day + 20 * k
    return world.workday_between(start, start + 10)


def complaints(pool: Pool, plan: Plan, world: World) -> None:
    m = "complaint_anomaly"
    day = pool.ctx.start_day + 330
    c = world.add_complaint(
        day * MIN + 9 * 60,
        "都匀市医疗保障局服务窗口",
        "都匀市医疗保障局",
        reply_after_min=6,
        reply="已当场告知城乡居民医保缴费标准及缴费渠道。",
        category="政策咨询",
        planted=True,
    )
    c["status"] = "即时办结"
    plan.add(m, c["complaint_no"], month_of(day), "decoy", "咨询类工单即时办结，6分钟答复")
    text = "小区二期单元门禁损坏一周，夜间外来人员随意进出，请物业尽快修复。"
    reply = "已责令物业公司三日内更换门禁并加强夜间巡查，已回访来电人。"
    for k in range(2):  # one resident calls twice about the same door: one matter, one answer
        c = world.add_complaint(
            (day + 3 + k) * MIN + 10 * 60,
            "都匀市东方丽城物业",
            "都匀市住房和城乡建设局",
            reply_after_min=2 * MIN,
            reply=reply,
            content=text,
            planted=True,
        )
        plan.add(m, c["complaint_no"], month_of(day + 3 + k), "decoy", "同一诉求重复来电，答复相同")


def conduct(pool: Pool, plan: Plan, world: World) -> None:
    org = world.org("都匀市农业农村局")
    m = "reception_weekend_or_luxury"
    r = world.add_reception(
        org,
        _weekend(pool, 2, 120),
        5,
        2,
        7 * 85.0,
        venue="市农业农村局机关食堂",
        venue_type="机关食堂",
        approval="黔南农函〔2024〕21号",
        planted=True,
    )
    plan.add(
        m, r["reception_no"], month_of(r["reception_date"]), "decoy", "周末有公函、在机关食堂接待"
    )

    m = "official_car_private_use"
    plate = world.plates[org.uscc]
    driver = next(i for i, o in world.payroll_of.items() if o.kind in ("organ", "township"))
    t = world.add_trip(
        org,
        plate,
        driver,
        _weekend(pool, 8, 60) * MIN + 7 * 60,
        10,
        destination="平浪镇凯口村水库",
        destination_type="村（社区）",
        purpose="防汛应急值守",
        planted=True,
    )
    add_vehicle_day(plan, m, t, "decoy", "周六防汛应急出车")
    t = world.add_trip(
        org,
        plate,
        driver,
        _workday(pool, world, 17) * MIN + 18 * 60 + 30,
        4.5,
        destination="黔南州人民政府",
        destination_type="机关",
        purpose="参加全州防汛调度会",
        planted=True,
    )
    add_vehicle_day(plan, m, t, "decoy", "18:30出车开会，23:00返回")


def ledgers(pool: Pool, plan: Plan, world: World) -> None:
    m = "village_cash_or_round"
    v = int(pool.rng.integers(0, len(pool.ctx.village_codes)))
    for k, (amount, purpose, note) in enumerate(
        (
            (12000.0, "上半年村干部基本报酬", "村干部报酬整万元（按标准发放）"),
            (30000.0, "集体土地年租金", "集体土地租金整万元（按合同收付）"),
        )
    ):
        (payee,) = pool.take(pool.adults(25, 60), 1, "村集体定额收款人")
        r = world.add_ledger(
            v, _workday(pool, world, 18 + k), int(payee), amount, purpose=purpose, planted=True
        )
        plan.add(m, r["voucher_no"], month_of(r["entry_date"]), "decoy", note)
