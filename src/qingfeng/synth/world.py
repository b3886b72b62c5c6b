"""The county's organisations and their records, built once from the first chunk of people.

Organisations (government organs, township governments, schools, hospitals), the public payroll,
companies and shareholders, procurement, receptions, official-car trips, school canteens, village
ledgers, 12345 complaints and bank transactions. Background records obey every rule of the model
library (see README in this package); the planting modules add the irregularities.

Organisation-level tables are small (they scale with the first chunk, at most 200,000 people), so
rows are built as Python dicts here and turned into column arrays once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qingfeng.synth import county, dates, holidays, names, uscc
from qingfeng.synth.context import Context
from qingfeng.synth.plants.base import Pool
from qingfeng.synth.population import Persons

Row = dict[str, Any]

# Model parameters the background respects (the model library reads its own copies).
TENDER_THRESHOLD = 1_000_000.0  # yuan: purchases at or above must be tendered
MIN_TENDER_DAYS = 20  # announce → deadline, open tendering
RECEPTION_LIMIT_PER_DINER = 120.0  # yuan per diner (guests + staff)
LARGE_CASH = 5_000.0  # yuan: village cash payments at or above are irregular
DECISION_REQUIRED = 5_000.0  # yuan: village payments at or above need a recorded decision
ROUND_AMOUNT = 10_000.0  # yuan: multiples of 1,000 at or above this are "round"


@dataclass
class Org:
    uscc: str
    name: str
    kind: str  # organ | township | school | hospital
    township: int = -1  # township index for township governments and schools


@dataclass
class Company:
    uscc: str
    name: str
    kind: str  # construction | food | trade | small
    legal_rep: int  # person index
    capital: float  # yuan
    established: int
    status: str = "存续"
    cancelled: int = dates.NONE
    phone: str = ""
    address: str = ""
    machine_id: str = ""
    creator: str = ""
    shareholders: list[tuple[int, float]] = field(default_factory=list)  # (person, ratio %)


_ORGANS = (
    "都匀市人民政府办公室", "都匀市民政局", "都匀市财政局", "都匀市教育局", "都匀市卫生健康局",
    "都匀市自然资源局", "都匀市住房和城乡建设局", "都匀市交通运输局", "都匀市农业农村局",
    "都匀市水务局", "都匀市市场监督管理局", "都匀市机关事务服务中心",
)  # fmt: skip
_ROADS = [
    "剑江",
    "民族",
    "斗篷山",
    "杉木湖",
    "环城",
    "沙包堡",
    "七星",
    "龙山",
    "广惠",
    "文峰",
    "西山",
    "东山",
    "绿茵湖",
    "青云",
]
_CO_STEMS = [
    "黔匀",
    "剑江",
    "斗篷",
    "杉湖",
    "瑞丰",
    "鑫达",
    "宏远",
    "恒通",
    "和顺",
    "兴黔",
    "博源",
    "金桥",
    "盛鑫",
    "华洲",
    "裕丰",
    "诚信",
]
_CO_SUFFIX = {
    "construction": "建筑工程有限公司",
    "food": "农副产品配送有限公司",
    "trade": "商贸有限公司",
    "small": "便民服务部",
}


class World:
    """Organisations, payroll and org-level tables of one county (chunk 0)."""

    def __init__(self, p: Persons, ctx: Context, rng: np.random.Generator, pool: Pool) -> None:
        self.p = p
        self.ctx = ctx
        self.rng = rng
        self.pool = pool
        self.rows: dict[str, list[Row]] = {}
        self.tables: dict[str, list[dict[str, np.ndarray]]] = {}  # vectorised row blocks
        self.orgs: list[Org] = []
        self.companies: list[Company] = []
        self.n0 = len(p)
        self._serial: dict[str, int] = {}
        self.township_gov: list[Org] = []
        self.schools: list[Org] = []
        self.hospitals: list[Org] = []
        self.payroll_of: dict[int, Org] = {}  # person → org (background, one each)
        self.cadres: dict[int, int] = {}  # village index → cadre person index
        self.clerks: list[int] = []  # civil-affairs clerk (approver) per township
        self._make_orgs()

    # -- helpers ------------------------------------------------------------------------------
    def next(self, name: str) -> int:
        self._serial[name] = self._serial.get(name, 0) + 1
        return self._serial[name]

    def add(self, key: str, row: Row, planted: bool = False) -> Row:
        row["#planted"] = planted
        self.rows.setdefault(key, []).append(row)
        return row

    def person(self, i: int, prefix: str = "") -> Row:
        """id / name / traditional name of person i as `<prefix>id_no`, `<prefix>name`, ...
        (`legal_rep_`, `shareholder_` and `owner_` match the standard field names)."""
        p = self.p
        trad = names.compose(p.surname[i : i + 1], p.g1[i : i + 1], p.g2[i : i + 1], True)[0]
        return {
            f"{prefix}id_no": str(p.id_no[i]),
            f"{prefix}name": str(p.name[i]),
            f"{prefix}name#trad": str(trad),
        }

    def day(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def workday_between(self, lo: int, hi: int) -> int:
        w = holidays.workdays(lo, hi)
        while w.size == 0:  # a window inside a long holiday: look a little further
            hi += 7
            w = holidays.workdays(lo, hi)
        return int(w[self.rng.integers(0, w.size)])

    # -- organisations -------------------------------------------------------------------------
    def _make_orgs(self) -> None:
        serial = iter(range(1, 10**6))
        for name in _ORGANS:
            self.orgs.append(
                Org(uscc.make("11", "522701", np.array([next(serial)]))[0], name, "organ")
            )
        for t, (_code, tname, urban) in enumerate(county.TOWNSHIPS):
            suffix = "办事处" if urban else "人民政府"
            org = Org(
                uscc.make("11", "522701", np.array([next(serial)]))[0],
                f"都匀市{tname}{suffix}",
                "township",
                t,
            )
            self.orgs.append(org)
            self.township_gov.append(org)
        n_schools = int(np.clip(self.n0 // 1500, 15, 150))
        for k in range(n_schools):
            t = k % len(county.TOWNSHIPS)
            level = "小学" if k % 3 else "中学"
            place = county.TOWNSHIPS[t][1]
            for suffix in ("街道", "水族乡", "镇"):
                place = place.replace(suffix, "")
            name = f"都匀市{place}第{k // len(county.TOWNSHIPS) + 1}{level}"
            org = Org(uscc.make("12", "522701", np.array([next(serial)]))[0], name, "school", t)
            self.orgs.append(org)
            self.schools.append(org)
        for name in ("都匀市人民医院", "都匀市中医医院"):
            org = Org(uscc.make("12", "522701", np.array([next(serial)]))[0], name, "hospital")
            self.orgs.append(org)
            self.hospitals.append(org)

    def org(self, name: str) -> Org:
        return next(o for o in self.orgs if o.name == name)

    # -- payroll -------------------------------------------------------------------------------
    def add_payroll(
        self,
        i: int,
        org: Org,
        position: str,
        start: int,
        end: int = dates.NONE,
        salary: float | None = None,
        planted: bool = False,
        staff_type: str | None = None,
    ) -> Row:
        if salary is None:
            salary = float(np.round(self.rng.uniform(4800, 8200), 0))
        if staff_type is None:  # organs and township governments: civil servants
            staff_type = "公务员" if org.kind in ("organ", "township") else "事业编制"
        row = {
            **self.person(i),
            "org_uscc": org.uscc,
            "org_name": org.name,
            "position": position,
            "staff_type": staff_type,
            "start_date": start,
            "end_date": end,
            "monthly_salary": salary,
        }
        return self.add("payroll", row, planted)

    def employment_start(self, i: int) -> int:
        """A start date after the person's 22nd birthday and before the period."""
        b22 = int(dates.add_years(self.p.birth_day[i : i + 1], 22)[0])
        return self.day(b22, max(b22, self.ctx.start_day - 30))

    def build_payroll(self) -> None:
        p, ctx = self.p, self.ctx
        age = p.age_on(ctx.start_day)
        old_hh = np.unique(p.household[age >= 75])
        # Civil-affairs clerks approve payments: from households with nobody old (no old-age
        # allowance to approve for a relative).
        ok = self.pool.adults(30, 55) & ~np.isin(p.household, old_hh)
        for t, gov in enumerate(self.township_gov):
            (i,) = self.pool.take(ok, 1, "审批人（民政专干）")
            self.add_payroll(int(i), gov, "民政专干", self.employment_start(int(i)))
            self.payroll_of[int(i)] = gov
            self.clerks.append(int(i))
            ctx.approver_id[t] = p.id_no[i]
        adults = self.pool.adults(23, 58)
        staff: list[tuple[Org, str, int]] = []
        for o in self.orgs:
            if o.kind == "organ":
                staff.append((o, "科员", 2))
            elif o.kind == "township":
                staff.append((o, "科员", 1))
            elif o.kind == "school":
                staff.append((o, "教师", 2))
            else:
                staff.append((o, "医师", 2))
        scale = max(1, self.n0 // 3000)
        for o, pos, k in staff:
            for i in self.pool.take(
                adults, k * scale if o.kind != "school" else k, f"{o.name}工作人员"
            ):
                self.add_payroll(int(i), o, pos, self.employment_start(int(i)))
                self.payroll_of[int(i)] = o
        # Village committee chairs (村委会主任) of rural villages: paid by the township.
        vs = county.villages()
        for v_idx, v in enumerate(vs):
            if v.urban:
                continue
            mask = adults & (p.village_idx == v_idx)
            if not (mask & ~self.pool.used).any():
                continue
            (i,) = self.pool.take(mask, 1, "村委会主任")
            t = [c for c, _, _ in county.TOWNSHIPS].index(v.township_code)
            org = self.township_gov[t]
            row = self.add_payroll(
                int(i),
                org,
                "村委会主任",
                self.employment_start(int(i)),
                salary=float(np.round(self.rng.uniform(2400, 3200), 0)),
                staff_type="村干部",
            )
            row["org_name"] = f"{v.name}村民委员会（{org.name}代发）"
            self.payroll_of[int(i)] = org
            self.cadres[v_idx] = int(i)

    # -- companies -----------------------------------------------------------------------------
    def new_company(
        self,
        kind: str,
        legal_rep: int,
        *,
        capital: float | None = None,
        established: int | None = None,
        status: str = "存续",
        cancelled: int = dates.NONE,
        partners: tuple[int, ...] = (),
        planted: bool = False,
    ) -> Company:
        k = self.next("company")
        rng = self.rng
        if capital is None:
            lo, hi = {
                "construction": (500, 5000),
                "food": (50, 500),
                "trade": (10, 200),
                "small": (1, 5),
            }[kind]
            capital = float(np.round(rng.uniform(lo, hi), 1)) * 10000
        if established is None:
            established = self.day(dates.day_of_iso("2003-01-01"), self.ctx.start_day - 400)
        stem = _CO_STEMS[k % len(_CO_STEMS)]
        name = f"都匀市{stem}{k:03d}{_CO_SUFFIX[kind]}"
        code = uscc.make("92" if kind == "small" else "91", "522701", np.array([100000 + k]))[0]
        road = _ROADS[k % len(_ROADS)]
        c = Company(
            uscc=code,
            name=name,
            kind=kind,
            legal_rep=legal_rep,
            capital=capital,
            established=established,
            status=status,
            cancelled=cancelled,
            phone=f"0854-8{k:06d}",
            address=f"都匀市{road}路{k}号",
            machine_id=f"PC-{(k * 2654435761) % 16**8:08X}",
            creator=f"{self.p.name[legal_rep]}-{k:04d}",  # unique per company
        )
        ratios = [100.0] if not partners else [60.0] + [40.0 / len(partners)] * len(partners)
        c.shareholders = list(zip((legal_rep, *partners), ratios, strict=True))
        self.companies.append(c)
        row = {
            "uscc": c.uscc,
            "name": c.name,
            **self.person(legal_rep, "legal_rep_"),
            "registered_capital": c.capital,
            "status": c.status,
            "established_date": c.established,
            "cancelled_date": c.cancelled,
            "address": c.address,
            "phone": c.phone,
        }
        self.add("companies", row, planted)
        for who, ratio in c.shareholders:
            sh = {
                "uscc": c.uscc,
                **self.person(who, "shareholder_"),
                "share_ratio": f"{ratio:g}",
                "subscribed_capital": float(np.round(c.capital * ratio / 100, 2)),
            }
            self.add("shareholders", sh, planted)
        return c

    def build_companies(self) -> None:
        n = max(40, self.n0 // 40)
        kinds = ["construction"] * (n * 4 // 10) + ["food"] * (n * 2 // 10)
        kinds += ["trade"] * (n - len(kinds) - n // 10) + ["small"] * (n // 10)
        people = self.pool.take_shared(
            self.pool.adults(25, 62), len(kinds) + n // 5, "企业法定代表人"
        )
        self.rng.shuffle(people)
        partners = people[len(kinds) :]
        for j, kind in enumerate(kinds):
            cancelled = self.rng.random() < 0.05 and kind in ("trade", "small")
            extra = (int(partners[j]),) if j < partners.size else ()
            if cancelled:
                est = self.day(dates.day_of_iso("2005-01-01"), dates.day_of_iso("2015-01-01"))
                self.new_company(
                    kind,
                    int(people[j]),
                    established=est,
                    status="注销",
                    cancelled=est + self.day(400, 2000),
                    partners=extra,
                )
            else:
                self.new_company(kind, int(people[j]), partners=extra)

    def active(self, kind: str) -> list[Company]:
        return [c for c in self.companies if c.kind == kind and c.status == "存续"]

    # -- procurement ---------------------------------------------------------------------------
    def add_tender(
        self,
        buyer: Org,
        bids: list[tuple[Company, float, bool, str]],
        *,
        budget: float,
        announce: int,
        days: int = 25,
        method: str = "公开招标",
        winner: Company | None = None,
        planted: bool = False,
        project: str = "",
        override: dict[str, dict[str, Any]] | None = None,
    ) -> Row:
        """One tender with its bids: (company, price, disqualified, reason). The winner defaults
        to the lowest valid bid."""
        k = self.next("tender")
        year = dates.date_of(announce).year
        tender_no = f"DYGC{year}{k:05d}"
        valid = [b for b in bids if not b[2]]
        if winner is None and valid:
            winner = min(valid, key=lambda b: b[1])[0]
        win_price = next((b[1] for b in bids if b[0] is winner), float("nan"))
        deadline = announce + days
        award = deadline + self.day(3, 10)
        row = self.add(
            "tenders",
            {
                "tender_no": tender_no,
                "project_name": project
                or f"{buyer.name.replace('都匀市', '')}{_PROJECTS[k % len(_PROJECTS)]}",
                "buyer_uscc": buyer.uscc,
                "buyer_name": buyer.name,
                "budget": budget,
                "method": method,
                "announce_date": announce,
                "deadline_date": deadline,
                "award_date": award,
                "winner_uscc": winner.uscc if winner else "",
                "winning_price": win_price,
            },
            planted,
        )
        for c, price, disq, reason in bids:
            created = (deadline - self.day(1, 5)) * dates.MINUTES_PER_DAY + self.day(540, 1080)
            bid = {
                "tender_no": tender_no,
                "bidder_uscc": c.uscc,
                "bidder_name": c.name,
                "bid_price": price,
                "disqualified": "是" if disq else "否",
                "disqualify_reason": reason,
                "file_creator": c.creator,
                "file_machine_id": c.machine_id,
                "file_created_at": created,
                "contact_phone": c.phone,
                "address": c.address,
            }
            if override and c.uscc in override:
                bid.update(override[c.uscc])
            self.add("bids", bid, planted)
        return row

    def clean_prices(self, budget: float, n: int) -> list[float]:
        """n distinct bid prices 85–97% of budget, at least 1.5% apart (no model fires)."""
        while True:
            r = np.sort(self.rng.uniform(0.85, 0.97, n))
            if n < 2 or (np.diff(r) / r[:-1]).min() >= 0.015:
                return [float(np.round(budget * x, 2)) for x in r]

    def build_procurement(self) -> None:
        bidders = self.active("construction")
        buyers = [o for o in self.orgs if o.kind in ("organ", "township")]
        n = max(30, self.n0 // 100)
        pair_losses: dict[tuple[str, str], int] = {}
        lo, hi = self.ctx.start_day, self.ctx.end_day - 60
        for _ in range(n):
            for _attempt in range(50):
                k = int(self.rng.integers(3, 7))
                chosen = [bidders[j] for j in self.rng.choice(len(bidders), size=k, replace=False)]
                budget = float(np.round(self.rng.uniform(120, 2000), 1)) * 10000
                prices = self.clean_prices(budget, k)
                # Cheapest wins; at most one disqualified bid and never the cheapest.
                order = sorted(zip(prices, chosen, strict=True), key=lambda x: x[0])
                winner = order[0][1]
                losers = [c for _, c in order[1:]]
                if all(pair_losses.get((c.uscc, winner.uscc), 0) < 2 for c in losers):
                    break
            for c in losers:
                pair_losses[(c.uscc, winner.uscc)] = pair_losses.get((c.uscc, winner.uscc), 0) + 1
            dq = len(order) >= 4 and self.rng.random() < 0.2
            bids = [
                (
                    c,
                    pr,
                    dq and j == len(order) - 1,
                    "资格审查不合格" if dq and j == len(order) - 1 else "",
                )
                for j, (pr, c) in enumerate(order)
            ]
            announce = self.workday_between(lo, hi)
            self.add_tender(
                buyers[int(self.rng.integers(0, len(buyers)))],
                bids,
                budget=budget,
                announce=announce,
                days=int(self.rng.integers(21, 36)),
            )

    # -- receptions and official cars ----------------------------------------------------------
    def add_reception(
        self,
        org: Org,
        day: int,
        guests: int,
        staff: int,
        cost: float,
        *,
        venue: str = "机关食堂",
        venue_type: str = "机关食堂",
        approval: str | None = None,
        planted: bool = False,
    ) -> Row:
        k = self.next("reception")
        if approval is None:
            approval = f"黔南接待〔{dates.date_of(day).year}〕{k}号"
        return self.add(
            "receptions",
            {
                "reception_no": f"JD{dates.date_of(day).year}{k:05d}",
                "org_uscc": org.uscc,
                "reception_date": day,
                "venue": venue,
                "venue_type": venue_type,
                "guests": str(guests),
                "staff": str(staff),
                "total_cost": cost,
                "approval_no": approval,
            },
            planted,
        )

    def build_receptions(self) -> None:
        n = max(40, self.n0 // 60)
        organs = [o for o in self.orgs if o.kind in ("organ", "township")]
        venues = (("机关食堂", "机关食堂"), ("都匀宾馆", "定点饭店"), ("剑江饭店", "定点饭店"))
        for _ in range(n):
            guests = int(self.rng.integers(2, 9))
            staff = int(self.rng.integers(1, min(guests, 3) + 1))
            per = float(self.rng.uniform(40, 100))
            v, vt = venues[int(self.rng.integers(0, 3))]
            day = self.workday_between(self.ctx.start_day, self.ctx.end_day)
            cost = float(np.round(per * (guests + staff), 2))
            org = organs[int(self.rng.integers(0, len(organs)))]
            self.add_reception(org, day, guests, staff, cost, venue=v, venue_type=vt)

    def add_trip(
        self,
        org: Org,
        plate: str,
        driver: int,
        start_min: int,
        hours: float,
        *,
        destination: str,
        destination_type: str,
        purpose: str = "下乡督查",
        planted: bool = False,
    ) -> Row:
        k = self.next("trip")
        return self.add(
            "car_trips",
            {
                "trip_no": f"PC{dates.date_of(start_min // dates.MINUTES_PER_DAY).year}{k:06d}",
                "plate_no": plate,
                "org_uscc": org.uscc,
                "driver_id_no": str(self.p.id_no[driver]),
                "start_time": start_min,
                "end_time": start_min + int(hours * 60),
                "destination": destination,
                "destination_type": destination_type,
                "purpose": purpose,
                "mileage": str(int(hours * 35)),
            },
            planted,
        )

    def build_trips(self) -> None:
        organs = [o for o in self.orgs if o.kind in ("organ", "township")]
        drivers = [i for i, o in self.payroll_of.items() if o.kind in ("organ", "township")]
        self.plates = {o.uscc: f"黔J{10000 + j:05d}" for j, o in enumerate(self.orgs)}
        vs = county.villages()
        n = max(60, self.n0 // 30)
        for _ in range(n):
            org = organs[int(self.rng.integers(0, len(organs)))]
            day = self.workday_between(self.ctx.start_day, self.ctx.end_day)
            start = day * dates.MINUTES_PER_DAY + int(self.rng.integers(8 * 60, 11 * 60))
            hours = float(self.rng.uniform(1, 6))
            v = vs[int(self.rng.integers(0, len(vs)))]
            self.add_trip(
                org,
                self.plates[org.uscc],
                drivers[int(self.rng.integers(0, len(drivers)))],
                start,
                hours,
                destination=f"{v.township_name}{v.name}",
                destination_type="村（社区）",
            )

    # -- school canteens -----------------------------------------------------------------------
    def school_days(self) -> np.ndarray:
        """Workdays in term time: 1 Mar–10 Jul and 1 Sep–15 Jan."""
        d = holidays.workdays(self.ctx.start_day, self.ctx.end_day)
        ymd = dates.ymd(d)
        md = ymd[:, 1] * 100 + ymd[:, 2]
        term = ((md >= 301) & (md <= 710)) | (md >= 901) | (md <= 115)
        return d[term]

    def build_canteen(self) -> None:
        self.students = {s.uscc: int(self.rng.integers(300, 1500)) for s in self.schools}
        food = self.active("food")
        self.suppliers = {s.uscc: food[j % len(food)] for j, s in enumerate(self.schools)}
        days = self.school_days()
        for s in self.schools:
            self.canteen_rows(s, days, 1.0, 0.03)

    def canteen_rows(
        self,
        school: Org,
        days: np.ndarray,
        spend: float,
        premium: float,
        supplier: Company | None = None,
        planted: bool = False,
    ) -> None:
        """Daily purchases: about 5 yuan per student per school day, `spend` × that, with the
        premium share of the amount in premium ingredients (vectorised over the days)."""
        items = [
            (item, cat, share, prem)
            for item, cat, share, prem in (
                ("大米", "粮油", 0.3, "否"),
                ("猪肉", "肉类", 0.35 - premium, "否"),
                ("时令蔬菜", "蔬菜", 0.35, "否"),
                ("牛肉", "肉类", premium, "是"),
            )
            if share > 0
        ]
        self._purchases(school, days, spend, items, supplier, planted)

    def premium_rows(
        self, school: Org, days: np.ndarray, spend: float, planted: bool = False
    ) -> None:
        """Extra premium-ingredient purchases worth `spend` × the usual daily amount."""
        self._purchases(school, days, spend, [("进口牛排", "肉类", 1.0, "是")], None, planted)

    def _purchases(
        self,
        school: Org,
        days: np.ndarray,
        spend: float,
        items: list[tuple[str, str, float, str]],
        supplier: Company | None,
        planted: bool,
    ) -> None:
        if days.size == 0 or not items:
            return
        sup = supplier or self.suppliers[school.uscc]
        students = self.students[school.uscc]
        total = students * 5.0 * spend * self.rng.uniform(0.95, 1.05, days.size)
        k = len(items)
        n = days.size * k
        share = np.tile(np.array([it[2] for it in items]), days.size)
        amount = np.round(np.repeat(total, k) * share, 2)
        start = self._serial.get("purchase", 0)
        self._serial["purchase"] = start + n
        serial = np.arange(start + 1, start + n + 1)
        table = {
            "purchase_no": np.strings.add("ST", dates.zfill(serial.astype(str), 8)),
            "school_uscc": np.full(n, school.uscc),
            "school_name": np.full(n, school.name),
            "purchase_date": np.repeat(days.astype(np.int64), k),
            "supplier_uscc": np.full(n, sup.uscc),
            "item": np.tile(np.array([it[0] for it in items]), days.size),
            "category": np.tile(np.array([it[1] for it in items]), days.size),
            "premium": np.tile(np.array([it[3] for it in items]), days.size),
            "quantity": np.char.mod("%.1f", amount / 20),
            "amount": amount,
            "students": np.full(n, str(students)),
            "#planted": np.full(n, planted),
        }
        self.tables.setdefault("canteen", []).append(table)

    # -- village ledgers -----------------------------------------------------------------------
    def add_ledger(
        self,
        v_idx: int,
        day: int,
        payee: int,
        amount: float,
        *,
        method: str = "转账",
        purpose: str = "村道维修务工费",
        decision: str | None = None,
        planted: bool = False,
    ) -> Row:
        k = self.next("voucher")
        if decision is None:
            decision = (
                f"村决〔{dates.date_of(day).year}〕{k}号" if amount >= DECISION_REQUIRED else ""
            )
        return self.add(
            "ledgers",
            {
                "voucher_no": f"PZ{dates.date_of(day).year}{k:06d}",
                "division_code": str(self.ctx.village_codes[v_idx]),
                "entry_date": day,
                **self.person(payee, "payee_"),
                "amount": amount,
                "pay_method": method,
                "purpose": purpose,
                "decision_no": decision,
            },
            planted,
        )

    def build_ledgers(self) -> None:
        p = self.p
        for v_idx, cadre in self.cadres.items():
            cadre_hh = p.household[cadre]
            residents = np.flatnonzero(
                (p.village_idx == v_idx)
                & (p.household != cadre_hh)
                & self.pool.adults(20, 75)
                & ~self.pool.used
            )
            if residents.size == 0:
                continue
            n = int(self.rng.integers(8, 20)) * max(1, self.n0 // 20000)
            for _ in range(n):
                payee = int(residents[self.rng.integers(0, residents.size)])
                # Benford-like (log-uniform) amounts with cents: never round, cash only if small.
                amount = float(np.round(10 ** self.rng.uniform(2.3, 4.7), 2))
                if amount % 1 == 0:
                    amount += 0.37
                method = "现金" if amount < 2000 and self.rng.random() < 0.3 else "转账"
                day = self.workday_between(self.ctx.start_day, self.ctx.end_day)
                self.add_ledger(
                    v_idx,
                    day,
                    payee,
                    amount,
                    method=method,
                    purpose=_PURPOSES[int(self.rng.integers(0, len(_PURPOSES)))],
                )

    # -- complaints ----------------------------------------------------------------------------
    def add_complaint(
        self,
        received_min: int,
        target: str,
        target_org: str,
        *,
        reply_after_min: int | None,
        reply: str | None = None,
        category: str = "民生保障",
        content: str | None = None,
        planted: bool = False,
    ) -> Row:
        k = self.next("complaint")
        v = county.villages()[int(self.rng.integers(0, len(county.villages())))]
        replied = dates.NONE if reply_after_min is None else received_min + reply_after_min
        if reply is None and reply_after_min is not None:
            reply = _reply_text(self.rng, k, target)
        return self.add(
            "complaints",
            {
                "complaint_no": f"12345-{dates.date_of(received_min // 1440).year}-{k:06d}",
                "received_at": received_min,
                "complainant_phone": f"1{int(self.rng.integers(3, 9))}{(k * 48271) % 10**9:09d}",
                "division_code": v.code,
                "target_name": target,
                "target_org": target_org,
                "category": category,
                "content": content or _complaint_text(self.rng, k, target, v.name),
                "replied_at": replied,
                "reply": reply or "",
                "status": "已办结" if reply_after_min is not None else "办理中",
            },
            planted,
        )

    def build_complaints(self) -> None:
        targets = [(c.name, "市场监督管理局") for c in self.companies] + [
            (o.name, o.name) for o in self.orgs
        ]
        order = self.rng.permutation(len(targets))
        n = min(max(40, self.n0 // 40), len(targets) * 2)
        end = self.ctx.end_day
        for j in range(n):
            name, org = targets[int(order[j % len(targets)])]
            if j >= len(targets):  # second complaint about a target: far apart (> 90 days)
                day = self.day(self.ctx.start_day + 200, end - 25)
            else:
                day = (
                    self.day(self.ctx.start_day, self.ctx.start_day + 100)
                    if self.ctx.end_day - self.ctx.start_day > 400
                    else self.day(self.ctx.start_day, end - 25)
                )
            recv = day * dates.MINUTES_PER_DAY + int(self.rng.integers(8 * 60, 18 * 60))
            recent = day > end - 20
            after = None if recent else int(self.rng.integers(2, 20)) * dates.MINUTES_PER_DAY
            self.add_complaint(recv, name, org, reply_after_min=after)

    # -- bank ----------------------------------------------------------------------------------
    def build_bank(self) -> None:
        from qingfeng.synth.tables import account_no

        months = self.ctx.months
        for i, org in list(self.payroll_of.items())[: max(20, self.n0 // 100)]:
            acct = str(account_no(np.array([self.p.pid[i]]))[0])
            for m in months.tolist():
                day = int(dates.first_day_of_month(np.array([m]))[0]) + 14
                k = self.next("txn")
                self.add(
                    "bank",
                    {
                        "txn_id": f"TX{k:010d}",
                        "account_no": acct,
                        "holder_id_no": str(self.p.id_no[i]),
                        "counterparty_account": f"2406{abs(hash(org.uscc)) % 10**12:012d}"
                        if False
                        else f"24060{int(org.uscc[8:16], 36) % 10**10:010d}",
                        "counterparty_name": org.name,
                        "txn_time": day * dates.MINUTES_PER_DAY + 600,
                        "amount": float(np.round(self.rng.uniform(4800, 8200), 2)),
                        "direction": "进",
                    },
                )


_PROJECTS = (
    "办公楼维修改造工程",
    "村组道路硬化工程",
    "饮水安全巩固提升工程",
    "学校运动场改造工程",
    "农田水利设施建设项目",
    "老旧小区改造项目",
)
_PURPOSES = (
    "村道维修务工费",
    "办公用品采购",
    "水利设施维护",
    "村集体林地管护费",
    "公益岗位补贴",
    "村办公场所水电费",
)


def _complaint_text(rng: np.random.Generator, k: int, target: str, village: str) -> str:
    issues = (
        "噪音扰民",
        "拖欠工资",
        "道路破损未修",
        "补贴未按时发放",
        "占道经营",
        "垃圾清运不及时",
        "排水沟堵塞",
    )
    issue = issues[k % len(issues)]
    return f"市民反映{village}附近{target}存在{issue}问题，持续约{k % 9 + 1}周，希望尽快处理。"


def _reply_text(rng: np.random.Generator, k: int, target: str) -> str:
    steps = (
        "已安排工作人员现场核实",
        "已约谈相关负责人",
        "已联系来电人说明情况",
        "已督促限期整改",
        "已纳入下月工作计划",
    )
    a, b = steps[k % len(steps)], steps[(k // 5 + 1) % len(steps)]
    days = k % 20 + 5
    return (
        f"经核查，关于{target}的问题（工单{k:06d}），{a}，{b}；将于{days}个工作日内回访，感谢监督。"
    )
