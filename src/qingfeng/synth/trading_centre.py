"""A synthetic public-resource trading centre published as OCDS, with its own truth.

`qingfeng synth --ocds` writes `ocds/trading-centre.json` (a release package: each contracting
process as a tender release and an award release, compiled on ingest) and `ocds/truth.json`
beside the department files. The background is clean competition: four valid bids, the winner
the cheapest, the runner-up 3–6 % above it, suppliers selling one to three product divisions.
Against it, each procurement indicator gets planted cases and look-alike decoys; `qingfeng model
score --truth ocds/truth.json` scores the models after the package is ingested into a workspace
of its own (its tenders are not the county's, so the two are kept apart).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qingfeng.synth import uscc
from qingfeng.synth.truth import Planted, Truth

FOLDER = "ocds"
PACKAGE = "trading-centre.json"
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

    def day(self) -> dt.date:
        span = (self.end - self.start).days - 90
        return self.start + dt.timedelta(days=int(self.rng.integers(0, span)))

    def pick(self, n: int) -> list[_Supplier]:
        idx = self.rng.choice(len(self.suppliers), size=n, replace=False)
        return [self.suppliers[int(i)] for i in idx]

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
    ) -> tuple[str, str, list[_Supplier]]:
        """One contracting process: bids at `prices` (index `winner` wins); returns (ocid as
        landed, announcement month, bidders)."""
        self.k += 1
        ocid = f"{PREFIX}-{self.start.year}-{self.k:05d}"
        buyer_id, buyer_name = self.buyers[self.k % len(self.buyers)]
        bidders = bidders or self.pick(len(prices))
        announce = self.day()
        days = days if days is not None else int(self.rng.integers(21, 36))
        opens = dt.datetime.combine(announce, dt.time(9, 0))
        closes = dt.datetime.combine(announce + dt.timedelta(days=days), dt.time(9, 30))
        budget = budget or round(max(prices) * 1.12, -3)
        category = ("works", "goods", "services")[self.k % 3]
        parties = [_party("B", buyer_name, buyer_id, ["buyer"], "", "")]
        details = []
        for j, (s, price) in enumerate(zip(bidders, prices, strict=True)):
            pid = f"S{j + 1}"
            roles = ["tenderer", "supplier"] if j == winner else ["tenderer"]
            parties.append(_party(pid, s.name, s.uscc, roles, s.address, s.phone))
            received = closes + (dt.timedelta(days=1) if j in late else -dt.timedelta(hours=20 + j))
            details.append(
                {
                    "id": f"{ocid}-bid-{j + 1}",
                    "date": received.isoformat() + "+08:00",
                    "status": "disqualified" if j in disqualified else "valid",
                    "tenderers": [{"id": pid, "name": s.name}],
                    "value": {"amount": price, "currency": "CNY"},
                }
            )
        win = bidders[winner]
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
        return ocid.upper(), announce.strftime("%Y-%m"), bidders

    def note(self, model: str, subject: str, period: str, kind: str, text: str) -> None:
        self.planted.append(Planted(model, subject, period, kind, text))  # type: ignore[arg-type]


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


def build(seed: int, start: dt.date, end: dt.date) -> tuple[dict[str, Any], list[Planted]]:
    """The release package and the planted entries."""
    rng = np.random.default_rng(seed + 20_000_003)
    buyer_codes = uscc.make("11", "522701", np.arange(900, 906))
    buyer_names = [
        "都匀市交通运输局",
        "都匀市水务局",
        "都匀市教育局",
        "都匀市卫生健康局",
        "都匀市住房和城乡建设局",
        "都匀市农业农村局",
    ]
    codes = uscc.make("91", "522701", np.arange(70_000, 70_080))
    suppliers = [
        _Supplier(
            uscc=str(c),
            name=f"都匀市合成供应商{j:03d}有限公司",
            divisions=[
                str(d) for d in rng.choice(DIVISIONS, size=int(rng.integers(1, 4)), replace=False)
            ],
            address=f"都匀市剑江路{100 + j}号",
            phone=f"0854-7{j:06d}",
        )
        for j, c in enumerate(codes.tolist())
    ]
    c = _Centre(
        rng, start, end, list(zip(buyer_codes.tolist(), buyer_names, strict=True)), suppliers[:70]
    )
    for _ in range(BACKGROUND):
        c.process(_clean_prices(rng, 4))

    m = "tender_single_bidder_or_short_period"  # Cardinal R018, R003
    for n, note in ((1, "公开招标仅一家投标"), (2, "公开招标仅两家投标（不足三家）")):
        t, p, _ = c.process(_clean_prices(rng, n))
        c.note(m, t, p, "case", note)
    t, p, _ = c.process(_clean_prices(rng, 4), days=12)
    c.note(m, t, p, "case", "公告至投标截止仅12天，少于法定20天")
    t, p, _ = c.process(_clean_prices(rng, 1), method="direct")
    c.note(m, t, p, "decoy", "单一来源（direct），依法只有一家")
    t, p, _ = c.process(_clean_prices(rng, 4), days=20)
    c.note(m, t, p, "decoy", "投标期恰为20天")

    m = "runner_up_price_close"  # Cardinal R024
    for _ in range(3):
        t, p, _ = c.process(_clean_prices(rng, 4, gap=0.002))
        c.note(m, t, p, "case", "次低有效报价仅高出中标价0.2%")
    t, p, _ = c.process(_clean_prices(rng, 4, gap=0.025))
    c.note(m, t, p, "decoy", "次低报价高出2.5%，在正常竞争之内")
    prices = _clean_prices(rng, 4, gap=0.002)
    t, p, _ = c.process(prices, winner=1)
    c.note(m, t, p, "decoy", "中标人非最低价（综合评分），不参与比较")

    m = "winning_bid_heavily_discounted"  # Cardinal R058
    for _ in range(3):
        prices = _clean_prices(rng, 4, gap=0.25)
        t, p, _ = c.process(prices, budget=round(prices[0] * 1.3, -3))
        c.note(m, t, p, "case", "次低有效报价高出中标价25%")
    t, p, _ = c.process(_clean_prices(rng, 4, gap=0.058))
    c.note(m, t, p, "decoy", "次低报价高出5.8%，在正常范围内")

    m = "late_bid_won"  # Cardinal R030
    for _ in range(3):
        t, p, _ = c.process(_clean_prices(rng, 4), late=(0,))
        c.note(m, t, p, "case", "中标人的投标在截止后一天才递交")
    t, p, _ = c.process(_clean_prices(rng, 4), late=(3,))
    c.note(m, t, p, "decoy", "逾期递交的是未中标的投标")

    m = "bid_disqualification_anomaly"  # Cardinal R036
    for _ in range(2):
        t, p, _ = c.process(_clean_prices(rng, 4), winner=1, disqualified=(0,))
        c.note(m, t, p, "case", "报价最低的投标被否决")
    t, p, _ = c.process(_clean_prices(rng, 4), disqualified=(3,))
    c.note(m, t, p, "decoy", "被否决的是报价最高的投标")

    m = "heterogeneous_supplier"  # Cardinal R048
    jack = suppliers[75]
    for j in range(4):
        c.process(
            _clean_prices(rng, 4), items=DIVISIONS[2 * j : 2 * j + 2], bidders=[jack, *c.pick(3)]
        )
    c.note(m, jack.uscc, "all", "case", "一家供应商中标供应8个门类的标的")
    steady = suppliers[76]
    steady.divisions = ["33", "34"]
    for _ in range(3):
        c.process(_clean_prices(rng, 4), items=["33", "34"], bidders=[steady, *c.pick(3)])
    c.note(m, steady.uscc, "all", "decoy", "供应商多次中标，但只供应2个门类")

    package = {
        "uri": "https://example.org/qingfeng/synthetic/trading-centre.json",
        "version": "1.1",
        "publishedDate": f"{end.isoformat()}T00:00:00+08:00",
        "publisher": {"name": "合成公共资源交易中心 / synthetic trading centre"},
        "releases": c.releases,
    }
    return package, c.planted


def write(out_dir: Path, seed: int, start: dt.date, end: dt.date, county: str) -> Path:
    """Write ocds/trading-centre.json and ocds/truth.json under `out_dir`; returns the folder."""
    package, planted = build(seed, start, end)
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PACKAGE).write_text(
        json.dumps(package, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
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
