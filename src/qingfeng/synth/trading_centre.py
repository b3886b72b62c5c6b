"""A synthetic public-resource trading centre published as OCDS, with its own truth.

`qingfeng synth --ocds` writes `ocds/trading-centre.json` (a release package: each contracting
process as a tender release and an award release, compiled on ingest), `ocds/companies.csv` (the
suppliers' company register) and `ocds/truth.json` beside the department files. The background
is clean competition: four valid bids, the winner the cheapest, the runner-up 3–6 % above it;
every firm bids about as often and wins about a quarter of its bids, each buyer rejects the
dearest bid at its own rate, and every bid carries its contact, bid-file origin and a bond from
the firm's own account. Against it, every procurement model the centre's data can carry gets
planted cases and lawful look-alikes; `qingfeng model score --truth ocds/truth.json` scores the
models after both files are ingested into a workspace of its own (its tenders are not the
county's, so the two are kept apart)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qingfeng.synth import uscc
from qingfeng.synth.truth import Planted, Truth

FOLDER = "ocds"
PACKAGE = "trading-centre.json"
COMPANIES = "companies.csv"  # the suppliers' company register (企业登记), as 市场监管 exports it
TRUTH = "truth.json"
PREFIX = "ocds-qfsyn0"  # an OCDS prefix of the synthetic publisher
BACKGROUND = 160  # clean contracting processes
DIVISIONS = [
    "03",
    "09",
    "15",
    "22",
    "30",
    "33",
    "34",
    "39",
    "42",
    "44",
    "45",
    "48",
    "50",
    "71",
    "72",
    "79",
    "85",
    "90",
]


@dataclass
class _Supplier:
    uscc: str
    name: str
    divisions: list[str]
    address: str
    phone: str
    account: str  # its basic account (基本账户): bid bonds are paid from it
    machine: str  # the machine its bid files are made on
    author: str  # who makes its bid files
    founded: dt.date
    rep_id: str
    rep_name: str


@dataclass
class _Process:
    ocid: str  # as landed (upper case)
    period: str  # the announcement month
    award_period: str  # the award month
    bidders: list[_Supplier]


@dataclass
class _Centre:
    rng: np.random.Generator
    start: dt.date
    end: dt.date
    buyers: list[tuple[str, str]]
    suppliers: list[_Supplier]
    releases: list[dict[str, Any]] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)
    k: int = 0
    bids: Counter = field(default_factory=Counter)  # bids per supplier
    wins: Counter = field(default_factory=Counter)
    disq: Counter = field(default_factory=Counter)  # disqualified bids per supplier
    buyer_bids: Counter = field(default_factory=Counter)
    buyer_disq: Counter = field(default_factory=Counter)

    def day(self) -> dt.date:
        span = (self.end - self.start).days - 90
        return self.start + dt.timedelta(days=int(self.rng.integers(0, span)))

    def pick(self, n: int, avoid: list[_Supplier] | tuple = ()) -> list[_Supplier]:
        """n suppliers of the pool, those with the fewest bids so far first (a market where
        every firm bids about as often)."""
        taken = {s.uscc for s in avoid}
        free = [s for s in self.suppliers if s.uscc not in taken]
        order = sorted(free, key=lambda s: (self.bids[s.uscc], float(self.rng.random())))
        window = order[: max(n, 40)]
        idx = self.rng.choice(len(window), size=n, replace=False)
        return [window[int(i)] for i in idx]

    def fresh(self, avoid: list[_Supplier]) -> _Supplier | None:
        """A pool supplier never disqualified, not among `avoid`."""
        taken = {s.uscc for s in avoid}
        free = [s for s in self.suppliers if s.uscc not in taken and not self.disq[s.uscc]]
        if not free:
            return None
        return min(free, key=lambda s: (self.bids[s.uscc], s.uscc))

    def process(
        self,
        prices: list[float],
        *,
        budget: float | None = None,
        days: int | None = None,
        method: str = "open",
        winner: int = 0,
        disqualified: tuple[int, ...] = (),
        late: tuple[int, ...] = (),
        items: list[str] | None = None,
        bidders: list[_Supplier] | None = None,
        buyer: tuple[str, str] | None = None,
        announce: dt.date | None = None,
        category: str | None = None,
        phones: dict[int, str] | None = None,
        addresses: dict[int, str] | None = None,
        bonds: dict[int, tuple[str, str] | None] | None = None,
        machines: dict[int, str] | None = None,
        authors: dict[int, str] | None = None,
    ) -> _Process:
        """One contracting process: bids at `prices` (index `winner` wins). Per-bid overrides by
        index: the phone or address given in the bid, the bond's paying account and holder (None:
        a bank guarantee, no account), the bid file's machine and author."""
        self.k += 1
        ocid = f"{PREFIX}-{self.start.year}-{self.k:05d}"
        buyer_id, buyer_name = buyer or self.buyers[self.k % len(self.buyers)]
        if bidders is None:
            bidders = self.pick(len(prices))
            for j in disqualified:  # a disqualified bid from a firm not disqualified before
                if self.disq[bidders[j].uscc]:
                    other = self.fresh(bidders)
                    if other is not None:
                        bidders[j] = other
        announce = announce or self.day()
        days = days if days is not None else int(self.rng.integers(21, 36))
        opens = dt.datetime.combine(announce, dt.time(9, 0))
        closes = dt.datetime.combine(announce + dt.timedelta(days=days), dt.time(9, 30))
        budget = budget or round(max(prices) * 1.12, -3)
        category = category or ("works", "goods", "services")[self.k % 3]
        parties = [_party("B", buyer_name, buyer_id, ["buyer"], "", "")]
        details = []
        phones, addresses = phones or {}, addresses or {}
        bonds, machines, authors = bonds or {}, machines or {}, authors or {}
        for j, (s, price) in enumerate(zip(bidders, prices, strict=True)):
            pid = f"S{j + 1}"
            roles = ["tenderer", "supplier"] if j == winner else ["tenderer"]
            parties.append(
                _party(
                    pid,
                    s.name,
                    s.uscc,
                    roles,
                    addresses.get(j, s.address),
                    phones.get(j, s.phone),
                )
            )
            received = closes + (dt.timedelta(days=1) if j in late else -dt.timedelta(hours=20 + j))
            bond = bonds.get(j, (s.account, s.name))
            created = received - dt.timedelta(days=2, hours=j)
            details.append(
                {
                    "id": f"{ocid}-bid-{j + 1}",
                    "date": received.isoformat() + "+08:00",
                    "status": "disqualified" if j in disqualified else "valid",
                    "tenderers": [{"id": pid, "name": s.name}],
                    "value": {"amount": price, "currency": "CNY"},
                    "bidBond": (
                        {
                            "form": "transfer",
                            "value": {"amount": _bond(budget), "currency": "CNY"},
                            "payer": {"name": bond[1], "accountNumber": bond[0]},
                        }
                        if bond
                        else {"form": "guarantee", "value": {"amount": _bond(budget)}}
                    ),
                    "bidFile": {
                        "author": authors.get(j, s.author),
                        "machineId": machines.get(j, s.machine),
                        "dateCreated": created.isoformat() + "+08:00",
                    },
                }
            )
            self.bids[s.uscc] += 1
            self.buyer_bids[buyer_id] += 1
            if j in disqualified:
                self.disq[s.uscc] += 1
                self.buyer_disq[buyer_id] += 1
        win = bidders[winner]
        self.wins[win.uscc] += 1
        codes = items or [self.rng.choice(win.divisions)]
        award_items = [
            {
                "id": str(i + 1),
                "description": f"标的{i + 1}",
                "quantity": 1,
                "classification": {"scheme": "CPV", "id": f"{code}100000"},
                "unit": {"name": "项", "value": {"amount": prices[winner] / len(codes)}},
            }
            for i, code in enumerate(codes)
        ]
        award_day = closes.date() + dt.timedelta(days=7)
        tender = {
            "ocid": ocid,
            "id": f"{ocid}-tender",
            "date": opens.isoformat() + "+08:00",
            "tag": ["tender"],
            "initiationType": "tender",
            "buyer": {"id": "B", "name": buyer_name},
            "parties": parties,
            "tender": {
                "id": ocid,
                "title": f"{buyer_name.replace('都匀市', '')}采购项目{self.k:03d}",
                "procurementMethod": method,
                "mainProcurementCategory": category,
                "value": {"amount": budget, "currency": "CNY"},
                "tenderPeriod": {
                    "startDate": opens.isoformat() + "+08:00",
                    "endDate": closes.isoformat() + "+08:00",
                },
            },
        }
        award = {
            "ocid": ocid,
            "id": f"{ocid}-award",
            "date": f"{award_day.isoformat()}T10:00:00+08:00",
            "tag": ["award"],
            "initiationType": "tender",
            "bids": {"details": details},
            "awards": [
                {
                    "id": f"{ocid}-award-1",
                    "status": "active",
                    "date": award_day.isoformat(),
                    "value": {"amount": prices[winner], "currency": "CNY"},
                    "suppliers": [{"id": f"S{winner + 1}", "name": win.name}],
                    "items": award_items,
                }
            ],
        }
        self.releases += [tender, award]
        return _Process(
            ocid.upper(), announce.strftime("%Y-%m"), award_day.strftime("%Y-%m"), bidders
        )

    def note(self, model: str, subject: str, period: str, kind: str, text: str) -> None:
        self.planted.append(Planted(model, subject, period, kind, text))  # type: ignore[arg-type]


def _bond(budget: float) -> float:
    """A bid bond of 2 % of the budget (at most 2 % by law), capped at 800,000 yuan."""
    return float(min(round(budget * 0.02, -2), 800_000))


def _party(pid: str, name: str, code: str, roles: list[str], address: str, phone: str) -> dict:
    out: dict[str, Any] = {
        "id": pid,
        "name": name,
        "roles": roles,
        "identifier": {"scheme": "CN-USCC", "id": code},
    }
    if address:
        out["address"] = {"locality": "都匀市", "streetAddress": address}
    if phone:
        out["contactPoint"] = {"telephone": phone}
    return out


def _clean_prices(rng: np.random.Generator, n: int, gap: float | None = None) -> list[float]:
    """n prices, cheapest first: the runner-up `gap` (3–6 % by default) above the winner, the
    rest 2–5 % apart above it."""
    win = float(np.round(rng.uniform(0.5, 5.0), 2)) * 1_000_000
    gap = gap if gap is not None else float(rng.uniform(0.03, 0.06))
    prices = [win, win * (1 + gap)]
    while len(prices) < n:
        prices.append(prices[-1] * (1 + float(rng.uniform(0.02, 0.05))))
    return [round(p, 2) for p in prices[:n]]


def _priced(rng: np.random.Generator, win: float, n: int) -> list[float]:
    """n clean prices with the winning bid at `win`."""
    prices = _clean_prices(rng, n)
    return [round(p * win / prices[0], 2) for p in prices]


def _id_no(day: dt.date, seq: int) -> str:
    body = f"522701{day:%Y%m%d}{seq % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "志强", "海燕", "国平", "丽华", "文斌", "晓东", "红梅", "德明", "玉兰"]


def build(seed: int, start: dt.date, end: dt.date) -> tuple[dict[str, Any], list[Planted], list]:
    """The release package, the planted entries and the company register of the suppliers."""
    rng = np.random.default_rng(seed + 20_000_003)
    buyer_codes = uscc.make("11", "522701", np.arange(900, 912)).tolist()
    buyer_names = [
        "都匀市交通运输局",
        "都匀市水务局",
        "都匀市教育局",
        "都匀市卫生健康局",
        "都匀市住房和城乡建设局",
        "都匀市农业农村局",
        # buyers of the planted cases only
        "都匀市林业局",
        "都匀市文体广电旅游局",
        "都匀市民政局",
        "都匀市自然资源局",
        "都匀市市场监督管理局",
        "都匀市生态环境局",
    ]
    buyers = list(zip(buyer_codes, buyer_names, strict=True))
    codes = uscc.make("91", "522701", np.arange(70_000, 70_130))
    suppliers = []
    for j, c in enumerate(codes.tolist()):
        founded = dt.date(2003, 1, 1) + dt.timedelta(days=int(rng.integers(0, 16 * 365)))
        rep_born = dt.date(1960, 1, 1) + dt.timedelta(days=int(rng.integers(0, 30 * 365)))
        suppliers.append(
            _Supplier(
                uscc=str(c),
                name=f"都匀市合成供应商{j:03d}有限公司",
                divisions=[
                    str(d)
                    for d in rng.choice(DIVISIONS, size=int(rng.integers(1, 4)), replace=False)
                ],
                address=f"都匀市剑江路{100 + j}号",
                phone=f"0854-7{j:06d}",
                account=f"2406{j:04d}0920{j * 37 % 10000:04d}{j % 97:02d}",
                machine=f"00-1A-6B-{j // 256:02X}-{j % 256:02X}-{(j * 7) % 256:02X}",
                author=f"{SURNAMES[j % len(SURNAMES)]}{GIVEN[j % len(GIVEN)]}{j:03d}",
                founded=founded,
                rep_id=_id_no(rep_born, 2 * j + 1),
                rep_name=f"{SURNAMES[(j * 3) % len(SURNAMES)]}{GIVEN[(j * 7) % len(GIVEN)]}",
            )
        )
    pool = suppliers[:90]
    own = iter(suppliers[90:])  # suppliers of the planted cases only
    c = _Centre(rng, start, end, buyers[:6], pool)
    extra = iter(buyers[6:])

    def on(day: dt.date, plus: int) -> dt.date:
        return day + dt.timedelta(days=plus)

    m = "tender_single_bidder_or_short_period"  # Cardinal R018, R003
    for n, note in ((1, "公开招标仅一家投标"), (2, "公开招标仅两家投标（不足三家）")):
        p = c.process(_clean_prices(rng, n))
        c.note(m, p.ocid, p.period, "case", note)
    p = c.process(_clean_prices(rng, 4), days=12)
    c.note(m, p.ocid, p.period, "case", "公告至投标截止仅12天，少于法定20天")
    p = c.process(_clean_prices(rng, 1), method="direct")
    c.note(m, p.ocid, p.period, "decoy", "单一来源（direct），依法只有一家")
    p = c.process(_clean_prices(rng, 4), days=20)
    c.note(m, p.ocid, p.period, "decoy", "投标期恰为20天")

    m = "runner_up_price_close"  # Cardinal R024
    for _ in range(3):
        p = c.process(_clean_prices(rng, 4, gap=0.002))
        c.note(m, p.ocid, p.period, "case", "次低有效报价仅高出中标价0.2%")
    p = c.process(_clean_prices(rng, 4, gap=0.025))
    c.note(m, p.ocid, p.period, "decoy", "次低报价高出2.5%，在正常竞争之内")
    p = c.process(_clean_prices(rng, 4, gap=0.002), winner=1)
    c.note(m, p.ocid, p.period, "decoy", "中标人非最低价（综合评分），不参与比较")

    m = "winning_bid_heavily_discounted"  # Cardinal R058
    for _ in range(3):
        prices = _clean_prices(rng, 4, gap=0.25)
        p = c.process(prices, budget=round(prices[0] * 1.3, -3))
        c.note(m, p.ocid, p.period, "case", "次低有效报价高出中标价25%")
    p = c.process(_clean_prices(rng, 4, gap=0.058))
    c.note(m, p.ocid, p.period, "decoy", "次低报价高出5.8%，在正常范围内")

    m = "late_bid_won"  # Cardinal R030
    for _ in range(3):
        p = c.process(_clean_prices(rng, 4), late=(0,))
        c.note(m, p.ocid, p.period, "case", "中标人的投标在截止后一天才递交")
    p = c.process(_clean_prices(rng, 4), late=(3,))
    c.note(m, p.ocid, p.period, "decoy", "逾期递交的是未中标的投标")

    m = "bid_disqualification_anomaly"  # Cardinal R036, R035
    for _ in range(2):
        p = c.process(_clean_prices(rng, 4), winner=1, disqualified=(0,))
        c.note(m, p.ocid, p.period, "case", "报价最低的投标被否决")
    p = c.process(_clean_prices(rng, 4), disqualified=(1, 2, 3))
    c.note(m, p.ocid, p.period, "case", "除中标人外其余三家投标全部被否决")
    p = c.process(_clean_prices(rng, 4), disqualified=(3,))
    c.note(m, p.ocid, p.period, "decoy", "被否决的是报价最高的投标")

    m = "bid_price_anomaly"  # Cardinal R028 and the budget rule
    prices = _clean_prices(rng, 4)
    prices[3] = prices[2]
    p = c.process(prices)
    c.note(m, p.ocid, p.period, "case", "两家投标人的报价分毫不差")
    prices = _clean_prices(rng, 4)
    p = c.process(prices, budget=round(prices[0] / 0.6, -3))
    c.note(m, p.ocid, p.period, "case", "中标价仅为预算的六成")
    prices = _clean_prices(rng, 4)
    prices[3] = round(prices[2] * 1.004, 2)
    p = c.process(prices)
    c.note(m, p.ocid, p.period, "decoy", "两家报价相近（差0.4%）但不相同")
    prices = _clean_prices(rng, 4)
    p = c.process(prices, budget=round(prices[0] / 0.76, -3))
    c.note(m, p.ocid, p.period, "decoy", "中标价为预算的76%，在正常让利之内")

    m = "heterogeneous_supplier"  # Cardinal R048
    jack = next(own)
    for j in range(4):
        c.process(
            _clean_prices(rng, 4), items=DIVISIONS[2 * j : 2 * j + 2], bidders=[jack, *c.pick(3)]
        )
    c.note(m, jack.uscc, "all", "case", "一家供应商中标供应8个门类的标的")
    steady = next(own)
    steady.divisions = ["33", "34"]
    for _ in range(3):
        c.process(_clean_prices(rng, 4), items=["33", "34"], bidders=[steady, *c.pick(3)])
    c.note(m, steady.uscc, "all", "decoy", "供应商多次中标，但只供应2个门类")

    m = "bid_rotation"  # the same firm losing to the same winner again and again
    boss, cover = next(own), next(own)
    day = c.day()
    for j in range(3):
        p = c.process(
            _clean_prices(rng, 4), bidders=[boss, cover, *c.pick(2)], announce=on(day, 35 * j)
        )
    c.note(m, cover.uscc, p.period, "case", "同一家企业三次投标均输给同一中标人")
    rival, loser = next(own), next(own)
    day = c.day()
    for j in range(2):
        p = c.process(
            _clean_prices(rng, 4), bidders=[rival, loser, *c.pick(2)], announce=on(day, 40 * j)
        )
        c.note(m, loser.uscc, p.period, "decoy", "两家企业两次相遇，正常竞争")

    m = "excessive_disqualified_bids"  # Cardinal R038
    sloppy = next(own)
    for j in range(6):
        prices = _clean_prices(rng, 4)
        bidders = [*c.pick(3), sloppy]
        p = c.process(prices, bidders=bidders, disqualified=(3,) if j < 4 else ())
    c.note(m, sloppy.uscc, "all", "case", "投标人6次投标4次被否决")
    strict = next(extra)
    for _ in range(3):
        p = c.process(_clean_prices(rng, 5), buyer=strict, disqualified=(3, 4))
    c.note(m, strict[0], "all", "case", "采购人3个项目中每项否决五家中的两家")
    once = next(own)
    p = c.process(_clean_prices(rng, 4), bidders=[*c.pick(3), once], disqualified=(3,))
    c.note(m, once.uscc, "all", "decoy", "只投过一次标、被否决一次的企业（不足以比较）")
    single = next(extra)
    p = c.process(_clean_prices(rng, 5), buyer=single, disqualified=(3, 4))
    c.note(m, single[0], "all", "decoy", "只有一个项目的采购人否决两家（不足以比较）")

    m = "bidders_share_ties"  # Cardinal R044 and the China-specific contact ties
    p = c.process(_clean_prices(rng, 4), phones={1: "13908541234", 2: "139-0854-1234"})
    c.note(m, p.ocid, p.period, "case", "两家投标人留同一手机号（写法不同）")
    p = c.process(_clean_prices(rng, 4), addresses={2: "剑江路188号", 3: "剑江路188号"})
    c.note(m, p.ocid, p.period, "case", "两家投标人地址相同")
    twin_a, twin_b = next(own), next(own)
    twin_b.rep_id, twin_b.rep_name = twin_a.rep_id, twin_a.rep_name
    p = c.process(_clean_prices(rng, 4), bidders=[*c.pick(2), twin_a, twin_b])
    c.note(m, p.ocid, p.period, "case", "两家投标人的法定代表人为同一人")
    p = c.process(
        _clean_prices(rng, 4),
        addresses={1: "剑江路200号金融大厦3楼301", 2: "剑江路200号金融大厦5楼502"},
    )
    c.note(m, p.ocid, p.period, "decoy", "两家投标人在同一栋楼、不同楼层办公")
    for j in (1, 2):
        p = c.process(_clean_prices(rng, 4), phones={j: "13985470011"})
        c.note(m, p.ocid, p.period, "decoy", "同一电话出现在两个不同项目的不同投标人")

    m = "bid_bonds_same_account"  # China-specific: 投标保证金从同一账户转出
    p = c.process(_clean_prices(rng, 4))
    payer = p.bidders[3]
    c.releases[-1]["bids"]["details"][2]["bidBond"]["payer"] = {
        "name": payer.name,
        "accountNumber": payer.account,
    }
    c.note(m, p.ocid, p.period, "case", "一家投标人的保证金由另一投标人的基本账户转出")
    acct = ("6228480012345678901", "王某")
    p = c.process(_clean_prices(rng, 4), bonds={0: acct, 1: acct, 2: acct})
    c.note(m, p.ocid, p.period, "case", "三家投标人的保证金由同一个人账户转出")
    guarantee: dict[int, tuple[str, str] | None] = {0: None, 1: None, 2: None, 3: None}
    p = c.process(_clean_prices(rng, 4), bonds=guarantee)
    c.note(m, p.ocid, p.period, "decoy", "四家都以银行保函提交保证金，没有缴款账户")
    agent = ("240600889092001123", "都匀市合成担保有限公司")
    for j in (0, 2):
        p = c.process(_clean_prices(rng, 4), bonds={j: agent})
        c.note(m, p.ocid, p.period, "decoy", "同一担保公司账户为两个不同项目的各一家投标人缴款")

    m = "bid_file_same_origin"  # China-specific: bid files made on one machine or by one person
    p = c.process(_clean_prices(rng, 4), machines={1: "3C-97-0E-11-22-33", 3: "3C-97-0E-11-22-33"})
    c.note(m, p.ocid, p.period, "case", "两家投标文件的制作机器码相同")
    p = c.process(_clean_prices(rng, 4), authors={0: "杨工2041", 2: "杨工2041"})
    c.note(m, p.ocid, p.period, "case", "两家投标文件的制作人相同")
    p = c.process(_clean_prices(rng, 4), authors={1: "Administrator", 2: "Administrator"})
    c.note(m, p.ocid, p.period, "decoy", "两家投标文件作者都是办公软件默认的Administrator")
    tool = "新点投标文件制作工具"
    p = c.process(_clean_prices(rng, 4), authors={0: tool, 1: tool, 2: tool, 3: tool})
    for _ in range(2):
        p = c.process(_clean_prices(rng, 4), authors={0: tool, 1: tool, 2: tool, 3: tool})
        c.note(m, p.ocid, p.period, "decoy", "作者是投标工具写入的软件名，许多互不相关的投标人都有")

    m = "winner_newly_founded"  # China-specific
    newcomer = next(own)
    day = c.day()
    newcomer.founded = on(day, -60)
    p = c.process(_clean_prices(rng, 4), bidders=[newcomer, *c.pick(3)], announce=day)
    c.note(m, p.ocid, p.period, "case", "中标人在公告前60天才成立")
    young = next(own)
    day = c.day()
    young.founded = on(day, -400)
    p = c.process(_clean_prices(rng, 4), bidders=[young, *c.pick(3)], announce=day)
    c.note(m, p.ocid, p.period, "decoy", "中标人成立一年多，已超过180天")
    fledgling = next(own)
    day = c.day()
    fledgling.founded = on(day, -30)
    p = c.process(_clean_prices(rng, 4), bidders=[*c.pick(3), fledgling], announce=day)
    c.note(m, p.ocid, p.period, "decoy", "新成立的企业投标但未中标")

    m = "contract_splitting"  # China-specific: split below the threshold for open tendering
    buyer = next(extra)
    firm = next(own)
    day = on(start, 100)
    for j in range(3):
        p = c.process(
            _priced(rng, 780_000, 4),
            bidders=[firm, *c.pick(3)],
            buyer=buyer,
            announce=on(day, 20 * j),
            category="goods",
            method="limited",
        )
        if j == 0:
            c.note(m, buyer[0], p.award_period, "case", "60天内向同一供应商授予3个78万元的货物合同")
    buyer = next(extra)
    day = on(start, 400)
    for j in range(3):
        p = c.process(
            _priced(rng, 900_000, 4),
            buyer=buyer,
            announce=on(day, 60 * j),
            category="goods",
            method="limited",
        )
        if j == 0:
            c.note(
                m, buyer[0], p.award_period, "case", "一年内以竞争性谈判3次采购货物，累计270万元"
            )
    buyer = next(extra)
    day = on(start, 40)
    for j in range(2):
        p = c.process(
            _priced(rng, 900_000, 4),
            buyer=buyer,
            announce=on(day, 90 * j),
            category="goods",
            method="limited",
        )
        if j == 0:
            c.note(
                m,
                buyer[0],
                p.award_period,
                "decoy",
                "一年内两次询价采购货物，累计180万元，未超标准",
            )
    firm = next(own)
    day = on(start, 420)
    for j in range(2):
        p = c.process(
            _priced(rng, 400_000, 4),
            bidders=[firm, *c.pick(3)],
            buyer=buyer,
            announce=on(day, 30 * j),
            category="services",
            method="limited",
        )
        if j == 0:
            c.note(m, buyer[0], p.award_period, "decoy", "两个服务合同合计80万元，未达100万元限额")
    buyer, firm = next(extra), next(own)
    day = on(start, 200)
    for j, win in enumerate((2_200_000, 2_500_000)):
        p = c.process(
            _priced(rng, win, 4),
            bidders=[firm, *c.pick(3)],
            buyer=buyer,
            announce=on(day, 30 * j),
            category="works",
        )
        if j == 0:
            c.note(m, buyer[0], p.award_period, "decoy", "两个施工合同合计470万元，但都经公开招标")

    # The clean background, last: its winners and disqualifications keep the market even, so
    # the learned fences describe it and no firm or buyer drifts into an outlier by chance.
    m = "bidder_excessive_losing_bids"  # Cardinal R025
    shadow, newbie = next(own), next(own)
    strictness = [0.02, 0.03, 0.04, 0.05, 0.06, 0.07]  # share of bids each buyer rejects
    beaten: set[str] = set()
    for i in range(BACKGROUND):
        buyer = c.buyers[i % len(c.buyers)]
        bidders = c.pick(4)
        bidders.sort(key=lambda s: (c.wins[s.uscc] / (c.bids[s.uscc] + 1), float(rng.random())))
        prices = _clean_prices(rng, 4)
        disq: tuple[int, ...] = ()
        rate = strictness[i % len(c.buyers)]
        if c.buyer_disq[buyer[0]] < rate * (c.buyer_bids[buyer[0]] + 4):
            if c.disq[bidders[3].uscc]:
                other = c.fresh(bidders)
                if other is not None:
                    bidders[3] = other
            if not c.disq[bidders[3].uscc]:
                disq = (3,)
        if i % 7 == 0 and len(beaten) < 20 and bidders[0].uscc not in beaten:
            # the shadow bidder: one more, dearest bid, never winning
            beaten.add(bidders[0].uscc)
            bidders = [*bidders, shadow]
            prices = [*prices, round(prices[-1] * 1.03, 2)]
        elif i % 10 == 5 and c.bids[newbie.uscc] < 3:
            bidders = [*bidders, newbie]
            prices = [*prices, round(prices[-1] * 1.03, 2)]
        c.process(prices, bidders=bidders, buyer=buyer, disqualified=disq)
    c.note(m, shadow.uscc, "all", "case", "投标二十余次从未中标的陪标企业（投标数居前）")
    c.note(m, newbie.uscc, "all", "decoy", "只投过3次、未中标的新企业（不是投标居前者）")

    package = {
        "uri": "https://example.org/qingfeng/synthetic/trading-centre.json",
        "version": "1.1",
        "publishedDate": f"{end.isoformat()}T00:00:00+08:00",
        "publisher": {"name": "合成公共资源交易中心 / synthetic trading centre"},
        "releases": c.releases,
    }
    return package, c.planted, suppliers


def _register(suppliers: list[_Supplier]) -> list[dict[str, str]]:
    """The company register (企业登记) rows of the suppliers, as 市场监管 exports them."""
    return [
        {
            "统一社会信用代码": s.uscc,
            "企业名称": s.name,
            "法定代表人": s.rep_name,
            "法定代表人身份证号": s.rep_id,
            "成立日期": s.founded.isoformat(),
            "登记状态": "存续",
        }
        for s in suppliers
    ]


def write(out_dir: Path, seed: int, start: dt.date, end: dt.date, county: str) -> Path:
    """Write ocds/trading-centre.json, ocds/companies.csv and ocds/truth.json under `out_dir`;
    returns the folder."""
    package, planted, suppliers = build(seed, start, end)
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PACKAGE).write_text(
        json.dumps(package, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    rows = _register(suppliers)
    with open(folder / COMPANIES, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    truth = Truth(
        seed=seed,
        persons=0,
        start=start.isoformat(),
        end=end.isoformat(),
        county=county,
        planted=planted,
    )
    truth.write(folder / TRUTH)
    return folder
