"""Every planted model, checked with a naive reference rule over the files as a correct ingest
would clean them: the rule finds exactly the planted cases and none of the decoys. These rules
are the ones src/qingfeng/synth/README.md states; the model library implements them properly."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from typing import Any

import numpy as np
import opencc
import pytest

from demo_county import DemoCounty
from qingfeng.synth import Truth, holidays
from qingfeng.synth import dates as sdates
from qingfeng.synth.departments import by_key
from test_synth import clean, normalise_id, parse_date, read_rows

Rec = dict[str, Any]
T2S = opencc.OpenCC("t2s")


def parse_time(text: str) -> dt.datetime | None:
    parts = text.strip().split(" ")
    d = parse_date(parts[0])
    if d is None:
        return None
    hh, mm = (int(x) for x in parts[1].split(":")[:2]) if len(parts) > 1 else (0, 0)
    return dt.datetime(d.year, d.month, d.day, hh, mm)


def month(d: dt.date | dt.datetime) -> str:
    return f"{d.year}-{d.month:02d}"


@pytest.fixture(scope="module")
def county(demo_county: DemoCounty) -> tuple[dict[str, list[Rec]], Truth]:
    """The demo county's department files (3,000 persons, seed 20241, 2023-2024), read back."""
    out = demo_county.sources
    truth = Truth.read(demo_county.truth_file)
    data: dict[str, list[Rec]] = {}
    for f in truth.files:
        spec = by_key(f["key"])
        header, rows = read_rows(out / spec.file_name, spec.encoding)
        files = {f["key"]: (header, rows, f)}
        header, kept = clean(files, truth, f["key"])
        recs = []
        for r in kept:
            rec: Rec = {}
            for c in spec.columns:
                if c.field is None:
                    continue
                v = r[header.index(c.header)].strip()
                if c.kind == "id":
                    v = normalise_id(v) if v else ""
                elif c.kind == "name":
                    v = T2S.convert(v.replace(" ", ""))
                elif c.kind == "date":
                    v = parse_date(v) if v else None
                elif c.kind == "time":
                    v = parse_time(v) if v else None
                elif c.kind == "money":
                    v = float(v) if v else None
                elif c.kind == "money_wan":
                    v = round(float(v) * 10000, 2) if v else None
                elif c.kind == "period":
                    v = f"{v[:4]}-{v[4:6]}"
                rec[c.field] = v
            recs.append(rec)
        data[f["key"]] = recs
    return data, truth


def check(
    county: tuple[dict[str, list[Rec]], Truth], model: str, hits: set[tuple[str, str]]
) -> None:
    _, truth = county
    cases = {(p.subject_id, p.period) for p in truth.cases(model)}
    decoys = {(p.subject_id, p.period) for p in truth.decoys(model)}
    assert hits - cases == set(), f"{model}: unplanted hits"
    assert cases - hits == set(), f"{model}: missed cases"
    assert not hits & decoys


def _people(d: dict[str, list[Rec]]) -> dict[str, Rec]:
    return {r["id_no"]: r for r in d["registry"]}


def _household(d: dict[str, list[Rec]]) -> dict[str, str]:
    return {r["id_no"]: r["household_no"] for r in d["registry"]}


def _company_people(d: dict[str, list[Rec]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for c in d["companies"]:
        out[c["uscc"]].add(c["legal_rep_id_no"])
    for s in d["shareholders"]:
        out[s["uscc"]].add(s["shareholder_id_no"])
    return out


def _overlap(a0: Any, a1: Any, b0: Any, b1: Any) -> bool:
    far = dt.date(9999, 1, 1)
    return a0 <= (b1 or far) and b0 <= (a1 or far)


def _dibao(d: dict[str, list[Rec]]) -> list[tuple[str, Rec]]:
    cases = {c["case_no"]: c for c in d["dibao_households"]}
    return [(m["id_no"], cases[m["case_no"]]) for m in d["dibao_members"] if m["case_no"] in cases]


def test_dibao_owns_car(county: Any) -> None:
    d, _ = county
    cars = defaultdict(list)
    for v in d["vehicles"]:
        if v["vehicle_type"] in ("小型轿车", "小型普通客车") and v["status"] == "正常":
            cars[v["owner_id_no"]].append(v["register_date"])
    hits = set()
    for m, c in _dibao(d):
        for reg in cars.get(m, []):
            if c["end_date"] is None or reg <= c["end_date"]:
                hits.add((m, month(max(c["start_date"], reg))))
    check(county, "dibao_owns_car", hits)


def test_payroll_in_dibao(county: Any) -> None:
    d, _ = county
    jobs = defaultdict(list)
    for r in d["payroll"]:
        if r.get("staff_type") != "村干部":  # village cadres on stipends are not public payroll
            jobs[r["id_no"]].append(r)
    hits = set()
    for m, c in _dibao(d):
        for j in jobs.get(m, []):
            if _overlap(c["start_date"], c["end_date"], j["start_date"], j["end_date"]):
                hits.add((m, month(max(c["start_date"], j["start_date"]))))
    check(county, "payroll_in_dibao", hits)


def test_dibao_member_owns_company(county: Any) -> None:
    d, _ = county
    people = _company_people(d)
    companies = {c["uscc"]: c for c in d["companies"]}
    owned = defaultdict(list)
    for u, ids in people.items():
        for i in ids:
            owned[i].append(companies[u])
    hits = set()
    for m, c in _dibao(d):
        for co in owned.get(m, []):
            if co["status"] == "存续" and co["registered_capital"] >= 500_000:
                hits.add((m, month(max(c["start_date"], co["established_date"]))))
    check(county, "dibao_member_owns_company", hits)


def test_duplicate_payment(county: Any) -> None:
    d, _ = county
    seen = defaultdict(set)
    for p in d["payments"]:
        seen[(p["id_no"], p["subsidy_type"], p["period"])].add(p["payment_no"])
    check(
        county,
        "duplicate_payment",
        {(i, per) for (i, _t, per), nos in seen.items() if len(nos) > 1},
    )


def test_recipient_name_mismatch(county: Any) -> None:
    d, _ = county
    people = _people(d)
    hits = {
        (p["id_no"], p["period"])
        for p in d["payments"]
        if p["id_no"] in people and p["name"] != people[p["id_no"]]["name"]
    }
    check(county, "recipient_name_mismatch", hits)


def test_shared_payment_account(county: Any) -> None:
    d, _ = county
    hh = _household(d)
    by = defaultdict(set)
    for p in d["payments"]:
        by[(p["account_no"], p["period"])].add(p["id_no"])
    hits = {k for k, ids in by.items() if len(ids) >= 3 and len({hh.get(i) for i in ids}) >= 2}
    check(county, "shared_payment_account", hits)


def test_farm_machinery_fraud(county: Any) -> None:
    d, _ = county
    registered = {(m["serial_no"], m["owner_id_no"]) for m in d["farm_machinery"]}
    claims = sorted(
        (p for p in d["payments"] if p["subsidy_type"] == "农机购置补贴"),
        key=lambda p: (p["pay_date"], p["payment_no"]),
    )
    seen, hits = set(), set()
    for p in claims:
        if p["machine_serial"] in seen or (p["machine_serial"], p["id_no"]) not in registered:
            hits.add((p["id_no"], p["period"]))
        seen.add(p["machine_serial"])
    check(county, "farm_machinery_fraud", hits)


def test_disability_subsidy_without_certificate(county: Any) -> None:
    d, _ = county
    certs = defaultdict(list)
    for c in d["disability"]:
        certs[c["id_no"]].append(c)
    hits = set()
    for p in d["payments"]:
        if p["subsidy_type"] in ("重度残疾人护理补贴", "困难残疾人生活补贴"):
            ok = any(
                c["status"] == "有效" and c["issue_date"] <= p["pay_date"] <= c["valid_until"]
                for c in certs.get(p["id_no"], [])
            )
            if not ok:
                hits.add((p["id_no"], p["period"]))
    check(county, "disability_subsidy_without_certificate", hits)


def _deaths(d: dict[str, list[Rec]]) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    for key in ("cremation", "hospital_deaths", "insurance_deaths"):
        for r in d[key]:
            if r["death_date"]:
                out[r["id_no"]] = min(r["death_date"], out.get(r["id_no"], r["death_date"]))
    for r in d["registry"]:
        if r["registry_death_date"]:
            out[r["id_no"]] = min(
                r["registry_death_date"], out.get(r["id_no"], r["registry_death_date"])
            )
    return out


def test_medical_claim_anomaly(county: Any) -> None:
    d, _ = county
    deaths = _deaths(d)
    hits = set()
    stays = defaultdict(list)
    for c in d["medical"]:
        if c["id_no"] in deaths and c["admission_date"] > deaths[c["id_no"]]:
            hits.add((c["id_no"], month(c["admission_date"])))
        if c["claim_type"] == "住院":
            stays[c["id_no"]].append((c["admission_date"], c["discharge_date"]))
    for i, ss in stays.items():
        ss.sort()
        for (_a1, d1), (a2, _d2) in itertools.pairwise(ss):
            if a2 < d1:
                hits.add((i, month(a2)))
    check(county, "medical_claim_anomaly", hits)


def test_approval_for_relative(county: Any) -> None:
    d, _ = county
    hh = _household(d)
    hits = {
        (p["approver_id_no"], p["period"])
        for p in d["payments"]
        if p["approver_id_no"] != p["id_no"] and hh.get(p["approver_id_no"]) == hh.get(p["id_no"])
    }
    check(county, "approval_for_relative", hits)


def test_official_runs_business(county: Any) -> None:
    d, _ = county
    people = _company_people(d)
    companies = {c["uscc"]: c for c in d["companies"]}
    hits = set()
    for j in d["payroll"]:
        for u, ids in people.items():
            c = companies[u]
            if j["id_no"] in ids and _overlap(
                j["start_date"], j["end_date"], c["established_date"], c["cancelled_date"]
            ):
                hits.add((j["id_no"], month(max(j["start_date"], c["established_date"]))))
    check(county, "official_runs_business", hits)


def test_official_resettlement_housing(county: Any) -> None:
    d, _ = county
    hh = _household(d)
    hits = set()
    for r in d["real_estate"]:
        if r["property_type"] != "安置房":
            continue
        for j in d["payroll"]:
            if hh.get(j["id_no"]) == hh.get(r["owner_id_no"]) and _overlap(
                j["start_date"], j["end_date"], r["register_date"], r["register_date"]
            ):
                hits.add((j["id_no"], month(r["register_date"])))
    check(county, "official_resettlement_housing", hits)


def _close_kin(d: dict[str, list[Rec]]) -> set[tuple[str, str]]:
    """Pairs tied by a family household (not a collective one), a move out of or split from a
    household (the mover and those who stayed), a marriage registration with a household member,
    or a birth certificate (parent and child)."""
    members: dict[str, set[str]] = defaultdict(set)
    collective = {r["household_no"] for r in d["registry"] if r.get("household_type") == "集体户"}
    for r in d["registry"]:
        if r["household_no"] not in collective:
            members[r["household_no"]].add(r["id_no"])
    pairs = {(a, b) for m in members.values() for a in m for b in m if a != b}
    for mv in d["moves"]:
        for b in members.get(mv["household_no"], ()):
            pairs |= {(mv["id_no"], b), (b, mv["id_no"])}
    hh = _household(d)
    for mr in d["marriages"]:
        for a, b in (
            (mr["husband_id_no"], mr["wife_id_no"]),
            (mr["wife_id_no"], mr["husband_id_no"]),
        ):
            pairs |= {(a, b), (b, a)}
            for c in members.get(hh.get(b, ""), ()):
                pairs |= {(a, c), (c, a)}
    for br in d["births"]:
        for parent in (br["mother_id_no"], br["father_id_no"]):
            if parent:
                pairs |= {(parent, br["child_id_no"]), (br["child_id_no"], parent)}
    return pairs


def test_relative_company_wins_contract(county: Any) -> None:
    d, _ = county
    kin = _close_kin(d)
    people = _company_people(d)
    hits = set()
    for t in d["tenders"]:
        for j in d["payroll"]:
            if j["org_uscc"] != t["buyer_uscc"]:
                continue
            if any(
                p != j["id_no"] and (p, j["id_no"]) in kin for p in people.get(t["winner_uscc"], ())
            ):
                hits.add((j["id_no"], month(t["award_date"])))
    check(county, "relative_company_wins_contract", hits)


def test_double_payroll(county: Any) -> None:
    d, _ = county
    jobs = defaultdict(list)
    for j in d["payroll"]:
        jobs[j["id_no"]].append(j)
    hits = set()
    for i, js in jobs.items():
        for a in js:
            for b in js:
                if a["org_uscc"] < b["org_uscc"] and _overlap(
                    a["start_date"], a["end_date"], b["start_date"], b["end_date"]
                ):
                    hits.add((i, month(max(a["start_date"], b["start_date"]))))
    check(county, "double_payroll", hits)


def _bids(d: dict[str, list[Rec]]) -> dict[str, list[Rec]]:
    out = defaultdict(list)
    for b in d["bids"]:
        out[b["tender_no"]].append(b)
    return out


def _tender_hits(d: dict[str, list[Rec]], rule: Any) -> set[tuple[str, str]]:
    bids = _bids(d)
    return {
        (t["tender_no"], month(t["announce_date"]))
        for t in d["tenders"]
        if rule(t, bids[t["tender_no"]])
    }


def _shared(bs: list[Rec], key: Any) -> bool:
    seen: dict[Any, str] = {}
    for b in bs:
        for v in key(b):
            if v in seen and seen[v] != b["bidder_uscc"]:
                return True
            seen[v] = b["bidder_uscc"]
    return False


def test_bid_file_same_origin(county: Any) -> None:
    d, _ = county
    check(
        county,
        "bid_file_same_origin",
        _tender_hits(
            d,
            lambda t, bs: (
                _shared(bs, lambda b: [b["file_machine_id"]])
                or _shared(bs, lambda b: [b["file_creator"]])
            ),
        ),
    )


def test_bidders_share_ties(county: Any) -> None:
    d, _ = county
    people = _company_people(d)

    def rule(t, bs):
        return (
            _shared(bs, lambda b: people.get(b["bidder_uscc"], set()))
            or _shared(bs, lambda b: [b["contact_phone"]])
            or _shared(bs, lambda b: [b["address"]])
        )

    check(county, "bidders_share_ties", _tender_hits(d, rule))


def test_tender_single_bidder_or_short_period(county: Any) -> None:
    d, _ = county

    def rule(t, bs):
        return t["method"] == "公开招标" and (
            len(bs) <= 2 or (t["deadline_date"] - t["announce_date"]).days < 20
        )

    check(county, "tender_single_bidder_or_short_period", _tender_hits(d, rule))


def test_bid_price_anomaly(county: Any) -> None:
    d, _ = county

    def rule(t: Rec, bs: list[Rec]) -> bool:
        prices = sorted(b["bid_price"] for b in bs)
        equal = len(prices) != len(set(prices))
        win = t["winning_price"]
        above = [p for p in prices if p > win]
        close = bool(above) and (above[0] - win) / win < 0.001
        return equal or close or win < 0.7 * t["budget"]

    check(county, "bid_price_anomaly", _tender_hits(d, rule))


def test_bid_disqualification_anomaly(county: Any) -> None:
    d, _ = county

    def rule(t: Rec, bs: list[Rec]) -> bool:
        low = min(bs, key=lambda b: b["bid_price"])
        others = [b for b in bs if b["bidder_uscc"] != t["winner_uscc"]]
        return low["disqualified"] == "是" or (
            len(bs) >= 3 and all(b["disqualified"] == "是" for b in others)
        )

    check(county, "bid_disqualification_anomaly", _tender_hits(d, rule))


def test_contract_splitting(county: Any) -> None:
    d, _ = county
    groups = defaultdict(list)
    for t in d["tenders"]:
        tendered = t.get("method") in ("公开招标", "邀请招标")  # evades no tendering
        if t["winning_price"] and t["winning_price"] < 1_000_000 and not tendered:
            groups[(t["buyer_uscc"], t["winner_uscc"])].append(t)
    hits = set()
    for (buyer, _w), ts in groups.items():
        ts.sort(key=lambda t: t["award_date"])
        for a in ts:
            window = [
                t
                for t in ts
                if a["award_date"] <= t["award_date"] <= a["award_date"] + dt.timedelta(days=90)
            ]
            if len(window) >= 2 and sum(t["winning_price"] for t in window) >= 1_000_000:
                hits.add((buyer, month(a["award_date"])))
                break
    check(county, "contract_splitting", hits)


def test_bid_rotation(county: Any) -> None:
    d, _ = county
    bids = _bids(d)
    losses: dict[tuple[str, str], int] = defaultdict(int)
    hits = set()
    for t in sorted(d["tenders"], key=lambda t: (t["announce_date"], t["tender_no"])):
        for b in bids[t["tender_no"]]:
            if b["bidder_uscc"] != t["winner_uscc"]:
                losses[(b["bidder_uscc"], t["winner_uscc"])] += 1
                if losses[(b["bidder_uscc"], t["winner_uscc"])] == 3:
                    hits.add((b["bidder_uscc"], month(t["announce_date"])))
    check(county, "bid_rotation", hits)


def _workday(day: dt.date) -> bool:
    return bool(holidays.is_workday(np.array([sdates.day_of(day)]))[0])


def test_receptions(county: Any) -> None:
    d, _ = county
    rec = d["receptions"]
    over = {
        (r["reception_no"], month(r["reception_date"]))
        for r in rec
        if r["total_cost"] / (int(r["guests"]) + int(r["staff"])) > 120 or not r["approval_no"]
    }
    check(county, "reception_over_standard", over)
    approved = ("机关食堂", "定点饭店", "内部食堂", "宾馆", "酒店")
    odd = {
        (r["reception_no"], month(r["reception_date"]))
        for r in rec
        if r["venue_type"] in ("旅游景区", "高档会所")
        or (
            not _workday(r["reception_date"])
            and (not r["approval_no"] or r["venue_type"] not in approved)
        )
    }
    check(county, "reception_weekend_or_luxury", odd)


def test_official_car_private_use(county: Any) -> None:
    d, _ = county
    night = lambda t: t.hour >= 22 or t.hour < 6  # noqa: E731
    emergency = ("应急", "防汛", "抢险", "救灾", "值班")
    hits = {
        (t["plate_no"], t["start_time"].date().isoformat())
        for t in d["car_trips"]
        if not any(w in (t["purpose"] or "") for w in emergency)
        and (
            night(t["start_time"])
            or not _workday(t["start_time"].date())
            or t["destination_type"] == "旅游景区"
        )
    }
    check(county, "official_car_private_use", hits)


def test_canteen_supplier_relative(county: Any) -> None:
    d, _ = county
    hh = _household(d)
    people = _company_people(d)
    first: dict[tuple[str, str], dt.date] = {}
    for c in d["canteen"]:
        k = (c["school_uscc"], c["supplier_uscc"])
        first[k] = min(c["purchase_date"], first.get(k, c["purchase_date"]))
    hits = set()
    for (school, supplier), day in first.items():
        for j in d["payroll"]:
            if j["org_uscc"] == school and any(
                p != j["id_no"] and hh.get(p) == hh.get(j["id_no"])
                for p in people.get(supplier, ())
            ):
                hits.add((j["id_no"], month(day)))
    check(county, "canteen_supplier_relative", hits)


def test_village_ledgers(county: Any) -> None:
    d, _ = county
    hh = _household(d)
    people = _people(d)
    cadre_hh = {
        (people[j["id_no"]]["division_code"], hh[j["id_no"]]): j["id_no"]
        for j in d["payroll"]
        if re.search(
            r"(村|社区|居委会|党支部|党总支).*(书记|主任)|村支书|一肩挑", j["position"] or ""
        )
    }
    irregular = set()
    for r in d["ledgers"]:
        key = (r["division_code"], hh.get(r["payee_id_no"]))
        if (key in cadre_hh and cadre_hh[key] != r["payee_id_no"]) or (
            r["amount"] >= 5000 and not r["decision_no"]
        ):
            irregular.add((r["voucher_no"], month(r["entry_date"])))
    check(county, "village_payment_irregular", irregular)
    cash = {
        (r["voucher_no"], month(r["entry_date"]))
        for r in d["ledgers"]
        if (r["pay_method"] == "现金" and r["amount"] >= 5000)
        or (
            r["amount"] >= 10000
            and r["amount"] % 1000 == 0
            and not re.search(
                "报酬|工资|津贴|补贴|误工|租金|租赁|承包费|流转费|分红", r["purpose"] or ""
            )
        )
    }
    check(county, "village_cash_or_round", cash)


def test_complaint_anomaly(county: Any) -> None:
    d, truth = county
    end = dt.datetime.fromisoformat(truth.end) + dt.timedelta(days=1)
    cs = sorted(d["complaints"], key=lambda c: c["received_at"])
    hits = set()
    by_target = defaultdict(list)
    for c in cs:
        by_target[c["target_name"]].append(c["received_at"])
        recent = [
            t for t in by_target[c["target_name"]] if c["received_at"] - t <= dt.timedelta(days=90)
        ]
        if len(recent) == 3:
            hits.add((c["target_name"], month(c["received_at"])))
    matters = defaultdict(set)  # a reply → the different matters it answered
    for c in cs:
        if c["reply"]:
            matters[c["reply"]].add(c["content"] or c["target_name"])
    for c in cs:
        open_long = c["status"] == "办理中" and end - c["received_at"] > dt.timedelta(days=21)
        fast = (
            c["status"] != "即时办结"
            and c["replied_at"] is not None
            and c["replied_at"] - c["received_at"] < dt.timedelta(hours=1)
        )
        copied = bool(c["reply"]) and len(matters[c["reply"]]) > 1
        if open_long or fast or copied:
            hits.add((c["complaint_no"], month(c["received_at"])))
    check(county, "complaint_anomaly", hits)


def _terms(truth: Truth) -> list[tuple[dt.date, dt.date]]:
    start, end = dt.date.fromisoformat(truth.start), dt.date.fromisoformat(truth.end)
    out = []
    for y in range(start.year - 1, end.year + 1):
        for a, b in (
            (dt.date(y, 3, 1), dt.date(y, 7, 10)),
            (dt.date(y, 9, 1), dt.date(y + 1, 1, 15)),
        ):
            if start <= a <= end:
                out.append((a, b))
    return out


def test_canteen_stockpiling(county: Any) -> None:
    d, truth = county
    spend: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for c in d["canteen"]:
        spend[c["school_uscc"]][c["purchase_date"]] += c["amount"]
    hits = set()
    for a, b in _terms(truth):
        ends = [e for e in (dt.date(a.year, 12, 31), b) if a <= e <= b]
        for school, days in spend.items():
            total = sum(v for k, v in days.items() if a <= k <= b)
            mean15 = total / (((b - a).days + 1) / 15)
            for e in ends:
                window = sum(v for k, v in days.items() if e - dt.timedelta(days=15) < k <= e)
                if mean15 and window >= 2.5 * mean15:
                    hits.add((school, month(e)))
    check(county, "canteen_stockpiling", hits)


def test_canteen_spend_outlier(county: Any) -> None:
    d, truth = county
    hits = set()
    for a, b in _terms(truth):
        per: dict[str, float] = defaultdict(float)
        prem: dict[str, float] = defaultdict(float)
        students: dict[str, int] = {}
        for c in d["canteen"]:
            if a <= c["purchase_date"] <= b:
                per[c["school_uscc"]] += c["amount"]
                prem[c["school_uscc"]] += c["amount"] if c["premium"] == "是" else 0.0
                students[c["school_uscc"]] = int(c["students"])
        if not per:
            continue
        spend = {s: per[s] / students[s] for s in per}
        share = {s: prem[s] / per[s] for s in per}
        m_spend, m_share = (
            float(np.median(list(spend.values()))),
            float(np.median(list(share.values()))),
        )
        for s in per:
            if spend[s] > 1.5 * m_spend or (share[s] > 0.15 and share[s] > 3 * m_share):
                hits.add((s, month(b)))
    check(county, "canteen_spend_outlier", hits)


def _transfers(d: dict[str, list[Rec]]) -> tuple[dict[str, list[Rec]], dict[str, str]]:
    """Outgoing transfers by paying account (time order), and each account's holder."""
    out: dict[str, list[Rec]] = defaultdict(list)
    holder: dict[str, str] = {}
    for t in d["bank"]:
        if t["holder_id_no"]:
            holder.setdefault(t["account_no"], t["holder_id_no"])
        if t["direction"] == "出" and t["counterparty_account"]:
            out[t["account_no"]].append(t)
    for ts in out.values():
        ts.sort(key=lambda t: t["txn_time"])
    return out, holder


def _days(t: Rec, day: dt.date) -> int:
    return (t["txn_time"].date() - day).days


def test_subsidy_money_reaches_approver_kin(county: Any) -> None:
    d, _ = county
    kin = _close_kin(d)
    out, holder = _transfers(d)
    hits = set()
    for pay in d["payments"]:
        a, acct, paid = pay["approver_id_no"], pay["account_no"], pay["amount"]
        if not a or not acct or pay["pay_date"] is None:
            continue
        frontier = [(acct, None)]
        for _hop in range(3):
            nxt = []
            for src, after in frontier:
                for t in out.get(src, ()):
                    if not 0 <= _days(t, pay["pay_date"]) <= 30 or t["amount"] < paid * 0.5:
                        continue
                    if after is not None and t["txn_time"] <= after:
                        continue
                    if t["counterparty_account"] == acct:
                        continue
                    h = holder.get(t["counterparty_account"])
                    if h is not None and (h == a or (h, a) in kin):
                        hits.add((a, pay["period"]))
                    nxt.append((t["counterparty_account"], t["txn_time"]))
            frontier = nxt
    check(county, "subsidy_money_reaches_approver_kin", hits)


def test_subsidy_round_trip_to_payer(county: Any) -> None:
    d, _ = county
    kin = _close_kin(d)
    out, holder = _transfers(d)
    jobs = defaultdict(list)
    for j in d["payroll"]:
        jobs[j["id_no"]].append(j)

    def in_post(i: str, day: dt.date) -> set[str]:
        return {
            j["org_uscc"]
            for j in jobs.get(i, ())
            if j["start_date"] <= day and (j["end_date"] is None or j["end_date"] >= day)
        }

    hits = set()
    for pay in d["payments"]:
        a, acct = pay["approver_id_no"], pay["account_no"]
        if not a or not acct or pay["pay_date"] is None or not pay["amount"]:
            continue
        orgs = in_post(a, pay["pay_date"])
        back = 0.0
        for t in out.get(acct, ()):
            h = holder.get(t["counterparty_account"])
            if h is None or not 0 <= _days(t, pay["pay_date"]) <= 30:
                continue
            if h == pay["id_no"] or (pay["id_no"], h) in kin:
                continue
            if h == a or in_post(h, pay["pay_date"]) & orgs:
                back += t["amount"]
        if back and back >= pay["amount"] * 0.3:
            hits.add((a, pay["period"]))
    check(county, "subsidy_round_trip_to_payer", hits)


def test_subsidy_recipients_feed_one_account(county: Any) -> None:
    d, _ = county
    kin = _close_kin(d)
    out, holder = _transfers(d)
    fed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pay in d["payments"]:
        acct, r = pay["account_no"], pay["id_no"]
        if not acct or not r or pay["pay_date"] is None or not pay["amount"]:
            continue
        for t in out.get(acct, ()):
            h = holder.get(t["counterparty_account"])
            if not 0 <= _days(t, pay["pay_date"]) <= 10 or t["amount"] < pay["amount"] * 0.5:
                continue
            if h is not None and (h == r or (r, h) in kin):
                continue
            fed[(t["counterparty_account"], pay["period"])].add(r)
    hits = {k for k, rs in fed.items() if len(rs) >= 5}
    check(county, "subsidy_recipients_feed_one_account", hits)


def test_public_money_pass_through(county: Any) -> None:
    d, _ = county
    kin = _close_kin(d)
    out, holder = _transfers(d)
    accounts = defaultdict(set)
    for acct, h in holder.items():
        accounts[h].add(acct)
    paid = [
        (p["id_no"], {p["account_no"]}, p["pay_date"], p["amount"], p["period"])
        for p in d["payments"]
        if p["account_no"] and p["id_no"] and p["pay_date"] and (p["amount"] or 0) >= 1000
    ]
    paid += [
        (
            v["payee_id_no"],
            accounts[v["payee_id_no"]],
            v["entry_date"],
            v["amount"],
            month(v["entry_date"]),
        )
        for v in d["ledgers"]
        if v["payee_id_no"]
        and v["pay_method"] == "转账"
        and v["entry_date"]
        and v["amount"] >= 1000
    ]
    hits = set()
    for who, accts, day, amount, period in paid:
        sent = 0.0
        for acct in accts:
            for t in out.get(acct, ()):
                h = holder.get(t["counterparty_account"])
                if not 0 <= _days(t, day) <= 2 or t["amount"] < amount * 0.2:
                    continue
                if h is not None and (h == who or (who, h) in kin):
                    continue
                sent += t["amount"]
        if sent >= amount * 0.9:
            hits.add((who, period))
    check(county, "public_money_pass_through", hits)
