"""Procurement models 17–23 (工程招投标). Subject = tender number (17–21), buyer credit code (22)
or losing bidder's credit code (23); period = the month of the tender's announcement (17–21),
of the first split award (22) or of the third loss (23)."""

from __future__ import annotations

from typing import Any

from qingfeng.synth.plants.base import Plan, Pool, month_of
from qingfeng.synth.plants.officials import fresh_bidders
from qingfeng.synth.world import Company, World


class _Tenders:
    def __init__(self, pool: Pool, world: World, offset: int) -> None:
        self.pool, self.world = pool, world
        self.day = pool.ctx.start_day + offset
        self.buyer = world.org("都匀市住房和城乡建设局")
        # About 110 planted tenders spread over the period, the last awarded before its end.
        self.step = max(1, (pool.ctx.end_day - pool.ctx.start_day - 300) // 110)

    def next_day(self) -> int:
        self.day += self.step
        return self.world.workday_between(self.day, self.day + 6)

    def tender(
        self,
        companies: list[Company],
        *,
        prices: list[float] | None = None,
        disq: list[bool] | None = None,
        budget: float = 2_500_000.0,
        days: int = 25,
        method: str = "公开招标",
        override: dict[str, dict[str, Any]] | None = None,
        winner: Company | None = None,
        buyer: Any = None,
    ) -> dict[str, Any]:
        prices = prices or self.world.clean_prices(budget, len(companies))
        disq = disq or [False] * len(companies)
        bids = [
            (c, pr, d, "投标文件未按要求签章" if d else "")
            for c, pr, d in zip(companies, prices, disq, strict=True)
        ]
        return self.world.add_tender(
            buyer or self.buyer,
            bids,
            budget=budget,
            announce=self.next_day(),
            days=days,
            method=method,
            planted=True,
            override=override,
            winner=winner,
        )


def _note(plan: Plan, model: str, t: dict[str, Any], kind: str, note: str) -> None:
    plan.add(model, t["tender_no"], month_of(t["announce_date"]), kind, note)


def plant_all(pool: Pool, plan: Plan, world: World) -> None:
    def fb(k: int) -> list[Company]:
        return fresh_bidders(world, pool, k)

    T = _Tenders(pool, world, 10)

    m = "bid_file_same_origin"
    for j in range(5):
        a, b, c = fb(3)
        key = "file_machine_id" if j < 3 else "file_creator"
        t = T.tender([a, b, c], override={b.uscc: {key: a.machine_id if j < 3 else a.creator}})
        _note(plan, m, t, "case", "两家投标人的投标文件由同一台电脑/同一制作人生成")
    a, b, c = fb(3)
    T.tender([a, b, c])
    t2 = T.tender([*fb(2), a])
    _note(plan, m, t2, "decoy", "同一企业在不同项目中使用同一台电脑（非同一项目的竞争者）")
    a, b, c = fb(3)
    t = T.tender(
        [a, b, c],
        override={
            b.uscc: {
                "file_machine_id": a.machine_id[:-1] + ("0" if a.machine_id[-1] != "0" else "1")
            }
        },
    )
    _note(plan, m, t, "decoy", "机器码仅末位不同（不同电脑）")
    a, b, c = fb(3)
    t = T.tender([a, b, c], override={b.uscc: {"file_creator": a.creator + "（代）"}})
    _note(plan, m, t, "decoy", "文件制作人姓名相近但不相同")

    m = "bidders_share_ties"
    for j in range(5):
        a, b, c = fb(3)
        if j < 2:
            b2 = world.new_company("construction", a.legal_rep, planted=True)
            comps, note = [a, b2, c], "两家投标企业法定代表人为同一人"
        elif j == 2:
            partner = pool.take_shared(pool.adults(25, 62), 1, "共同股东")[0]
            a2 = world.new_company(
                "construction",
                a.legal_rep if False else int(pool.take_shared(pool.adults(25, 62), 1, "法人")[0]),
                partners=(int(partner),),
                planted=True,
            )
            b2 = world.new_company(
                "construction",
                int(pool.take_shared(pool.adults(25, 62), 1, "法人")[0]),
                partners=(int(partner),),
                planted=True,
            )
            comps, note = [a2, b2, c], "两家投标企业有共同股东"
        elif j == 3:
            comps, note = [a, b, c], "两家投标企业留同一联系电话"
        else:
            comps, note = [a, b, c], "两家投标企业地址相同"
        ov = None
        if j == 3:
            ov = {b.uscc: {"contact_phone": a.phone}}
        if j == 4:
            ov = {b.uscc: {"address": a.address}}
        t = T.tender(comps, override=ov)
        _note(plan, m, t, "case", note)
    a, b, c = fb(3)
    twin = world.new_company("construction", a.legal_rep, planted=True)
    t = T.tender([a, b, c])
    T.tender([twin, *fb(2)])
    _note(plan, m, t, "decoy", "同一法定代表人的两家企业分别投不同项目")
    a, b, c = fb(3)
    from qingfeng.synth.plants.livelihood import _rename

    _rename(pool.p, b.legal_rep, a.legal_rep)
    t = T.tender([a, b, c])
    _note(plan, m, t, "decoy", "两家投标企业法定代表人同名但身份证号不同")
    a, b, c = fb(3)
    t = T.tender([a, b, c], override={b.uscc: {"address": a.address.replace("号", "号附1号")}})
    _note(plan, m, t, "decoy", "两家企业在同一条路上，门牌号不同")

    m = "tender_single_bidder_or_short_period"
    for _j in range(3):
        t = T.tender(fb(1))
        _note(plan, m, t, "case", "公开招标仅一家投标")
    t = T.tender(fb(2))
    _note(plan, m, t, "case", "公开招标仅两家投标（不足三家应重新招标）")
    for _j in range(2):
        t = T.tender(fb(3), days=12)
        _note(plan, m, t, "case", "公告至投标截止仅12天，少于法定20天")
    t = T.tender(fb(1), method="单一来源采购")
    _note(plan, m, t, "decoy", "单一来源采购，依法只有一家")
    t = T.tender(fb(3), days=20)
    _note(plan, m, t, "decoy", "投标期恰为20天（合法最短期限）")
    t = T.tender(fb(2), days=10, method="竞争性谈判")
    _note(plan, m, t, "decoy", "竞争性谈判，不适用招标20天期限")

    m = "bid_price_anomaly"
    budget = 3_000_000.0
    for _j in range(2):
        t = T.tender(fb(3), prices=[2_700_000.0, 2_700_000.0, 2_850_000.0], budget=budget)
        _note(plan, m, t, "case", "两家投标报价完全相同")
    for _j in range(2):
        t = T.tender(fb(3), prices=[2_600_000.0, 2_600_780.0, 2_800_000.0], budget=budget)
        _note(plan, m, t, "case", "第二名报价与中标价相差不到0.1%")
    t = T.tender(fb(3), prices=[1_500_000.0, 2_700_000.0, 2_800_000.0], budget=budget)
    _note(plan, m, t, "case", "中标价仅为预算的50%，异常低价")
    t = T.tender(fb(3), prices=[2_600_000.0, 2_660_000.0, 2_800_000.0], budget=budget)
    _note(plan, m, t, "decoy", "第二名报价高出中标价约2.3%（正常竞争）")
    t = T.tender(fb(3), prices=[2_650_000.0, 2_720_000.0, 2_810_000.0], budget=budget)
    T.tender(fb(3), prices=[2_650_000.0, 2_760_000.0, 2_840_000.0], budget=budget)
    _note(plan, m, t, "decoy", "与另一项目的中标价相同（不同项目）")
    t = T.tender(fb(3), prices=[2_250_000.0, 2_700_000.0, 2_800_000.0], budget=budget)
    _note(plan, m, t, "decoy", "中标价为预算的75%，未低于70%")

    m = "bid_disqualification_anomaly"
    for _j in range(3):
        cs = fb(4)
        t = T.tender(cs, disq=[True, False, False, False])
        _note(plan, m, t, "case", "报价最低的投标被废标")
    for _j in range(2):
        cs = fb(3)
        t = T.tender(cs, disq=[False, True, True])
        _note(plan, m, t, "case", "除中标人外其余投标全部被废标")
    t = T.tender(fb(4), disq=[False, False, True, False])
    _note(plan, m, t, "decoy", "废标的不是最低报价，且仍有多家有效投标")
    t = T.tender(fb(4), disq=[False, False, False, True])
    _note(plan, m, t, "decoy", "报价最高的一家被废标")
    # Not open tendering: two open-tender bidders would themselves call for a new tender.
    t = T.tender(fb(2), disq=[False, True], method="竞争性磋商")
    _note(plan, m, t, "decoy", "仅两家投标，报价较高的一家被废标（不足3家）")

    m = "contract_splitting"
    buyers = [
        world.org(n)
        for n in (
            "都匀市教育局",
            "都匀市卫生健康局",
            "都匀市市场监督管理局",
            "都匀市机关事务服务中心",
            "都匀市人民政府办公室",
            "都匀市财政局",
            "都匀市民政局",
            "都匀市自然资源局",
        )
    ]
    for j in range(5):
        w = fb(1)[0]
        first = None
        for _k in range(3):
            cs = [w, *fb(2)]
            prices = [380_000.0 + 1000 * _k, 395_000.0 + 1000 * _k, 410_000.0]
            t = T.tender(cs, prices=prices, budget=450_000.0, method="询价", buyer=buyers[j])
            first = first or t
        assert first is not None
        plan.add(
            m,
            buyers[j].uscc,
            month_of(first["award_date"]),
            "case",
            "同一单位90天内向同一供应商分3次发包，单次低于、合计超过100万元招标限额",
        )
    w = fb(1)[0]
    t = T.tender(
        [w, *fb(2)],
        prices=[600_000.0, 640_000.0, 660_000.0],
        budget=700_000.0,
        method="询价",
        buyer=buyers[5],
    )
    T.day += 200 - T.step
    T.tender(
        [w, *fb(2)],
        prices=[620_000.0, 650_000.0, 680_000.0],
        budget=700_000.0,
        method="询价",
        buyer=buyers[5],
    )
    plan.add(m, buyers[5].uscc, month_of(t["award_date"]), "decoy", "两次小额采购相隔200天以上")
    t = T.tender(
        fb(3),
        prices=[600_000.0, 640_000.0, 660_000.0],
        budget=700_000.0,
        method="询价",
        buyer=buyers[6],
    )
    T.tender(
        fb(3),
        prices=[610_000.0, 650_000.0, 690_000.0],
        budget=700_000.0,
        method="询价",
        buyer=buyers[6],
    )
    plan.add(
        m, buyers[6].uscc, month_of(t["award_date"]), "decoy", "90天内两次小额采购由不同供应商中标"
    )
    w = fb(1)[0]
    t = T.tender(
        [w, *fb(2)],
        prices=[300_000.0, 330_000.0, 350_000.0],
        budget=400_000.0,
        method="询价",
        buyer=buyers[7],
    )
    T.tender(
        [w, *fb(2)],
        prices=[310_000.0, 340_000.0, 360_000.0],
        budget=400_000.0,
        method="询价",
        buyer=buyers[7],
    )
    plan.add(
        m,
        buyers[7].uscc,
        month_of(t["award_date"]),
        "decoy",
        "同一供应商两次小额中标但合计未达100万元",
    )

    m = "bid_rotation"
    for _j in range(5):
        w, loser = fb(2)
        for _k in range(3):
            t = T.tender([w, loser, *fb(1)])
        plan.add(
            m,
            loser.uscc,
            month_of(t["announce_date"]),
            "case",
            "同一投标人连续3次陪标输给同一中标人",
        )
    w, loser = fb(2)
    for _k in range(2):
        t = T.tender([w, loser, *fb(1)])
    plan.add(m, loser.uscc, month_of(t["announce_date"]), "decoy", "仅2次输给同一中标人")
    loser = fb(1)[0]
    for _k in range(3):
        t = T.tender([*fb(1), loser, *fb(1)])
    plan.add(m, loser.uscc, month_of(t["announce_date"]), "decoy", "3次未中标，但中标人各不相同")
    w, loser = fb(2)
    T.tender([w, loser, *fb(1)])
    T.tender([loser, w, *fb(1)])
    t = T.tender([w, loser, *fb(1)])
    plan.add(m, loser.uscc, month_of(t["announce_date"]), "decoy", "输给同一对手2次，另1次胜出")
