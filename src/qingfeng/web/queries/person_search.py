"""Finding a person by name: every person of that name the user may see, from the people
library (registered inside the user's area) and from the warnings in the user's scope, with
what tells namesakes apart (birth year, area, masked ID number).

Exact names only: a profile look-up is audited per person, and a fuzzy match would list
people nobody asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
from sqlalchemy import func

from qingfeng.loop.machine import Actor
from qingfeng.loop.query import WarningQuery, filtered
from qingfeng.masking import mask_id
from qingfeng.store.models import Warning
from qingfeng.web.queries.people import id_facts

MAX_CANDIDATES = 50
MAX_NAME = 40
# A name: letters of any script (CJK, Latin, Uyghur, ...), with the middle dots and spaces
# names use ("买买提·艾力", "Anna Li"); no digits, so a mistyped ID number is not a name.
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ ·.\-'’][^\W\d_]+)*$")


def looks_like_name(raw: str) -> str | None:
    """The name typed, tidied (outer spaces, full-width middle dot); None if it is not one."""
    value = re.sub(r"\s+", " ", raw.strip()).replace("•", "·").replace("・", "·")
    if not value or len(value) > MAX_NAME or not _NAME_RE.match(value):
        return None
    return value


@dataclass
class Candidate:
    identifier: str
    name: str
    birth_date: date | None
    division_code: str | None
    sources: set[str]

    @property
    def masked(self) -> str:
        return mask_id(self.identifier) or ""

    @property
    def birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else None


def _in_area(prefixes: tuple[str, ...]) -> tuple[str, list[str]]:
    if not prefixes:
        return "false", []
    return "(" + " OR ".join("starts_with(division_code, ?)" for _ in prefixes) + ")", list(
        prefixes
    )


def library_namesakes(
    con: duckdb.DuckDBPyConnection, views: set[str], name: str, prefixes: tuple[str, ...]
) -> list[tuple[str, str, str | None]]:
    """(id_no, name, division_code) of people of that name registered inside the area."""
    if "people" not in views:
        return []
    area, params = _in_area(prefixes)
    return [
        (str(r[0]), str(r[1]), r[2])
        for r in con.execute(
            f"SELECT id_no, name, division_code FROM people WHERE name = ? AND {area} "
            f"ORDER BY id_no LIMIT {MAX_CANDIDATES}",
            [name, *params],
        ).fetchall()
    ]


def warning_namesakes(actor: Actor, name: str) -> list[tuple[str, str, str | None]]:
    """(subject_id, name, division_code) of persons of that name in the user's warnings."""
    stmt = (
        filtered(actor, WarningQuery())
        .where(Warning.subject_name == name)
        .with_only_columns(Warning.subject_id, func.max(Warning.division_code))
        .group_by(Warning.subject_id)
        .order_by(Warning.subject_id)
        .limit(MAX_CANDIDATES)
    )
    return [(str(sid), name, div) for sid, div in actor.session.execute(stmt)]


def merge_candidates(
    library: list[tuple[str, str, str | None]], warnings: list[tuple[str, str, str | None]]
) -> list[Candidate]:
    """One candidate per ID number (only ID numbers: a name search finds people), oldest first."""
    found: dict[str, Candidate] = {}
    for source, rows in (("library", library), ("warning", warnings)):
        for identifier, name, division in rows:
            born, _gender, region = id_facts(identifier)
            if not region:
                continue
            cand = found.setdefault(
                identifier, Candidate(identifier, name, born, division or None, set())
            )
            cand.division_code = cand.division_code or division or region
            cand.sources.add(source)
    return sorted(found.values(), key=lambda c: (c.birth_date or date.max, c.identifier))[
        :MAX_CANDIDATES
    ]
