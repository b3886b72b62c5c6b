"""Small OCDS packages for ingest tests: two contracting processes, released in stages."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from stdnum.cn import uscc


def org(body: str) -> str:
    """A valid 18-character USCC from a 17-character body (stdnum computes the check)."""
    return body + uscc.calc_check_digit(body)


BUYER = org("11522701MB1234567")
A = org("91522701MA6DK1234")
B = org("91522701MA6DK5678")
C = org("91522701MA6DK9012")


def _party(pid: str, name: str, code: str, roles: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "identifier": {"scheme": "CN-USCC", "id": code},
        "roles": roles,
        **extra,
    }


def releases() -> list[dict[str, Any]]:
    """Process 1 in two releases (tender, then bids and award and contract); process 2 in one."""
    tender = {
        "ocid": "ocds-qf-0001",
        "id": "0001-tender",
        "date": "2024-03-01T09:00:00+08:00",
        "tag": ["tender"],
        "buyer": {"id": "P-B", "name": "县交通局"},
        "parties": [
            _party("P-B", "县交通局", BUYER, ["buyer"]),
            _party(
                "P-A",
                "甲建设公司",
                A,
                ["tenderer", "supplier"],
                address={"locality": "某县", "streetAddress": "人民路1号"},
                contactPoint={"name": "张三", "telephone": "13800138000"},
            ),
            _party("P-C", "乙建设公司", B, ["tenderer"]),
        ],
        "tender": {
            "id": "T-0001",
            "title": "乡村公路硬化",
            "procurementMethod": "open",
            "procurementMethodDetails": "公开招标",
            "mainProcurementCategory": "works",
            "value": {"amount": 2000000, "currency": "CNY"},
            "tenderPeriod": {
                "startDate": "2024-03-01T09:00:00+08:00",
                "endDate": "2024-03-21T09:30:00+08:00",
            },
            "items": [
                {
                    "id": "1",
                    "description": "沥青",
                    "quantity": 100,
                    "unit": {"name": "吨", "value": {"amount": 5000}},
                    "classification": {"scheme": "CPV", "id": "44113620"},
                }
            ],
            "lots": [{"id": "L1", "title": "一标段", "value": {"amount": 2000000}}],
        },
    }
    award = {
        "ocid": "ocds-qf-0001",
        "id": "0001-award",
        "date": "2024-04-01T09:00:00+08:00",
        "tag": ["award", "contract"],
        "tender": {"title": "乡村公路硬化（一标段）"},
        "bids": {
            "details": [
                {
                    "id": "b1",
                    "date": "2024-03-20T10:00:00+08:00",
                    "status": "valid",
                    "tenderers": [{"id": "P-A", "name": "甲建设公司"}],
                    "value": {"amount": 1900000},
                },
                {
                    "id": "b2",
                    "date": "2024-03-21T11:00:00+08:00",
                    "status": "disqualified",
                    "tenderers": [{"id": "P-C", "name": "乙建设公司"}],
                    "value": {"amount": 1800000},
                },
            ]
        },
        "awards": [
            {
                "id": "A1",
                "status": "active",
                "date": "2024-04-01",
                "value": {"amount": 1900000},
                "suppliers": [{"id": "P-A", "name": "甲建设公司"}],
                "relatedBid": "b1",
                "relatedLots": ["L1"],
                "items": [
                    {"id": "1", "quantity": 100, "unit": {"name": "吨", "value": {"amount": 4800}}}
                ],
            }
        ],
        "contracts": [
            {
                "id": "K1",
                "awardID": "A1",
                "status": "active",
                "value": {"amount": 1900000},
                "dateSigned": "2024-04-10",
                "period": {"startDate": "2024-04-15", "endDate": "2024-10-15"},
            }
        ],
    }
    other = {
        "ocid": "ocds-qf-0002",
        "id": "0002-tender",
        "date": "2024-05-01T09:00:00+08:00",
        "tag": ["tender"],
        "buyer": {"id": "P-B", "name": "县交通局"},
        "parties": [
            _party("P-B", "县交通局", BUYER, ["buyer"]),
            _party("P-X", "丙公司", C, ["tenderer"]),
        ],
        "tender": {
            "id": "T-0002",
            "title": "路灯维修",
            "procurementMethod": "direct",
            "value": {"amount": 80000},
            "mainProcurementCategory": "services",
            "tenderPeriod": {"startDate": "2024-05-01", "endDate": "2024-05-04"},
        },
        "bids": {
            "details": [
                {
                    "id": "x1",
                    "status": "valid",
                    "tenderers": [{"id": "P-X", "name": "丙公司"}],
                    "value": {"amount": 79000},
                }
            ]
        },
    }
    return [tender, award, other]


def release_package(rels: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "uri": "https://example.org/ocds/1.json",
        "version": "1.1",
        "publishedDate": "2024-06-01T00:00:00+08:00",
        "releases": copy.deepcopy(rels if rels is not None else releases()),
    }


def record_package() -> dict[str, Any]:
    """Process 1 as a record of full releases; process 2 as a record with a compiledRelease."""
    rels = releases()
    return {
        "uri": "https://example.org/ocds/records.json",
        "version": "1.1",
        "publishedDate": "2024-06-01T00:00:00+08:00",
        "records": [
            {"ocid": "ocds-qf-0001", "releases": rels[:2]},
            {
                "ocid": "ocds-qf-0002",
                "releases": [
                    {
                        "url": "https://example.org/ocds/2.json#0002-tender",
                        "date": rels[2]["date"],
                        "tag": ["tender"],
                    }
                ],
                "compiledRelease": rels[2],
            },
        ],
    }


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_lines(path: Path, objs: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8"
    )
    return path
