"""The person profile (数字画像) as far as the workflow store knows a person: identity facts read
from the ID number itself, every warning about them in the user's scope, and a relationship
graph from those warnings (models that flagged them, units handling them, other people named in
the evidence). The subject and relationship libraries (household, relatives, companies) add to
this when the entities station is present.

A person outside the user's scope is not found, exactly as if unknown.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qingfeng.loop.machine import Actor
from qingfeng.loop.query import WarningQuery, filtered
from qingfeng.loop.risk import CLOSED
from qingfeng.masking import mask_id
from qingfeng.store.models import Organisation, Warning

_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
MAX_WARNINGS = 200


class PersonQueryError(ValueError):
    """The identifier typed is not an ID number or credit code."""


def normalise_identifier(raw: str) -> str:
    value = raw.strip().upper().replace(" ", "")
    if not (_ID_RE.match(value) or _USCC_RE.match(value)):
        raise PersonQueryError(
            "请输入 18 位身份证号或统一社会信用代码 / enter an 18-character ID number or USCC"
        )
    return value


def subject_key(identifier: str) -> str:
    """A stable, non-reversible reference for logs and the audit trail (never the number)."""
    return hashlib.sha256(identifier.encode()).hexdigest()[:16]


@dataclass
class Profile:
    identifier: str
    kind: str  # person | organisation | complaint
    name: str
    birth_date: date | None
    gender: str  # "male" | "female" | ""
    birth_region: str
    warnings: list[Warning]
    amount: Decimal
    graph: dict[str, Any] = field(default_factory=dict)

    @property
    def masked(self) -> str:
        return mask_id(self.identifier)

    @property
    def risk_total(self) -> float:
        """The risk scores of the subject's warnings still open (qingfeng.loop.risk), summed."""
        live = (w.risk_score or 0.0 for w in self.warnings if w.status not in CLOSED)
        return round(sum(live), 1)


def id_facts(identifier: str) -> tuple[date | None, str, str]:
    if not _ID_RE.match(identifier):
        return None, "", ""
    try:
        born = date(int(identifier[6:10]), int(identifier[10:12]), int(identifier[12:14]))
    except ValueError:
        born = None
    gender = "male" if int(identifier[16]) % 2 else "female"
    return born, gender, identifier[:6]


def profile_kind(identifier: str, subject_types: set[str]) -> str:
    """What the subject is: a complaint is profiled as a complaint (it has no ID number to
    reveal), a person by an ID number, anything else as an organisation."""
    if "complaint" in subject_types:
        return "complaint"
    return "person" if _ID_RE.match(identifier) else "organisation"


def load_profile(actor: Actor, identifier: str) -> Profile | None:
    stmt = filtered(actor, WarningQuery(subject_id=identifier)).order_by(Warning.id.desc())
    warnings = list(actor.session.scalars(stmt.limit(MAX_WARNINGS)))
    if not warnings:
        return None
    born, gender, region = id_facts(identifier)
    name = next((w.subject_name for w in warnings if w.subject_name), "") or ""
    amount = sum((w.amount or Decimal(0) for w in warnings), Decimal(0))
    kind = profile_kind(identifier, {w.subject_type for w in warnings})
    return Profile(identifier, kind, name, born, gender, region, warnings, amount)


def _evidence_people(evidence: Any, own: str, found: dict[str, str]) -> None:
    """Other ID numbers named in a warning's evidence (relatives, approvers, payees)."""
    if isinstance(evidence, dict):
        name = next((str(v) for k, v in evidence.items() if "name" in str(k) and v), "")
        for key, value in evidence.items():
            if isinstance(value, str) and _ID_RE.match(value.upper()) and value.upper() != own:
                found.setdefault(value.upper(), f"{key}:{name}")
            else:
                _evidence_people(value, own, found)
    elif isinstance(evidence, list):
        for item in evidence:
            _evidence_people(item, own, found)


def relationship_graph(
    actor: Actor,
    profile: Profile,
    model_label: Any,
    labels: dict[str, str],
    field_label: Any = str,
) -> dict[str, Any]:
    """ECharts graph option: the subject, the models that flagged them, the units handling the
    warnings, and other people in the evidence (masked)."""
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    seen: set[str] = set()

    def node(key: str, name: str, category: int, size: int, url: str = "") -> None:
        if key in seen:
            return
        seen.add(key)
        item: dict[str, Any] = {"id": key, "name": name, "category": category, "symbolSize": size}
        if url:
            item["url"] = url
        nodes.append(item)

    centre = f"s:{subject_key(profile.identifier)}"
    node(centre, f"{profile.name or ''} {profile.masked}".strip(), 0, 46)
    org_ids = {w.org_id for w in profile.warnings if w.org_id}
    orgs = dict(
        actor.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        ).all()
    )
    others: dict[str, str] = {}
    for w in profile.warnings:
        model_key = f"m:{w.model_id}"
        node(model_key, model_label(w.model_id), 1, 30, f"/warnings/{w.id}")
        links.append({"source": centre, "target": model_key, "value": labels["flagged"]})
        if w.org_id in orgs:
            org_key = f"o:{w.org_id}"
            node(org_key, orgs[w.org_id], 2, 24)
            links.append({"source": model_key, "target": org_key, "value": labels["handled"]})
        _evidence_people(w.evidence, profile.identifier, others)
    for other, role in list(others.items())[:30]:
        key = f"p:{subject_key(other)}"
        node(key, mask_id(other), 3, 20)
        links.append({"source": centre, "target": key, "value": field_label(role.split(":")[0])})
    return {
        "textStyle": {"fontFamily": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"},
        "tooltip": {},
        "legend": [{"data": [labels["c0"], labels["c1"], labels["c2"], labels["c3"]], "top": 0}],
        "series": [
            {
                "type": "graph",
                "layout": "force",
                "roam": True,
                "draggable": True,
                "label": {"show": True, "position": "right", "fontSize": 11},
                "force": {"repulsion": 260, "edgeLength": [70, 130]},
                "edgeLabel": {"show": True, "formatter": "{c}", "fontSize": 10},
                "categories": [
                    {"name": labels["c0"]},
                    {"name": labels["c1"]},
                    {"name": labels["c2"]},
                    {"name": labels["c3"]},
                ],
                "data": nodes,
                "links": links,
            }
        ],
    }
