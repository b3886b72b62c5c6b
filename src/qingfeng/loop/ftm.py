"""Export to FollowTheMoney (FtM), the entity model Aleph and other investigation tools read.

What leaves is what the exporting user may see: the warnings in their scope (as `Note` leads on
their subjects), those subjects as `Person` / `Company` entities, and the ties of those subjects
from the relationship libraries, one step out: ownership, directorship, family, employment and
payments. The `followthemoney` package builds and validates every entity (an unknown property
or a value of the wrong type is an error, not a silent drop).

Masked by default (ID numbers by their shape, names with the middle starred, entity ids salted
per export so they cannot be turned back into ID numbers); unmasked only for the roles that may
unmask warnings. Every export is audited with its count, file digest and the masking applied.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qingfeng import audit
from qingfeng.loop.errors import PermissionDenied
from qingfeng.loop.export import EXPORT_ROLES, UNMASK_ROLES, model_names
from qingfeng.loop.machine import Actor
from qingfeng.loop.query import WarningQuery, filtered
from qingfeng.masking import mask_id, mask_name, mask_text

_PERSON_ID = re.compile(r"^\d{17}[\dX]$")
_ORG_ID = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# library relation -> (FtM schema, property of the `from` end, property of the `to` end)
RELATION_SCHEMA: dict[str, tuple[str, str, str]] = {
    "shareholder_of": ("Ownership", "owner", "asset"),
    "legal_rep_of": ("Directorship", "director", "organization"),
    "employed_by": ("Employment", "employee", "employer"),
    "transferred_to": ("Payment", "payer", "beneficiary"),
}
# the relatives library's codes in the words an investigator reads in Aleph
FAMILY_WORDS: dict[str, str] = {
    "spouse": "配偶 spouse",
    "parent": "父母 parent",
    "child": "子女 child",
    "sibling": "兄弟姐妹 sibling",
    "grandparent": "祖父母 grandparent",
    "grandchild": "孙子女 grandchild",
    "child_in_law": "子女的配偶 child-in-law",
    "parent_in_law": "配偶的父母 parent-in-law",
    "sibling_in_law": "兄弟姐妹的配偶或配偶的兄弟姐妹 sibling-in-law",
    "uncle_aunt": "父母的兄弟姐妹 uncle/aunt",
    "nephew_niece": "兄弟姐妹的子女 nephew/niece",
    "great_grandparent": "曾祖父母 great-grandparent",
    "great_grandchild": "曾孙子女 great-grandchild",
    "cousin": "堂表兄弟姐妹 cousin",
}


def subject_kind(value: str | None) -> str | None:
    """'person' or 'organisation' by the identifier's shape; None for other subjects."""
    if not value:
        return None
    if _PERSON_ID.match(value):
        return "person"
    if _ORG_ID.match(value):
        return "organisation"
    return None


@dataclass
class FtmExport:
    """The entities built so far, keyed by FtM id (one entity per subject)."""

    masked: bool
    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    entities: dict[str, Any] = field(default_factory=dict)

    def _id(self, *parts: str) -> str:
        # salted when masked: a plain hash of an ID number is as good as the number itself
        key = "\x1f".join(((self.salt,) if self.masked else ()) + parts)
        return hashlib.sha1(key.encode("utf-8")).hexdigest()

    def _make(self, schema: str, *parts: str) -> Any:
        from followthemoney import model

        entity = model.make_entity(schema)
        entity.id = self._id(schema, *parts)
        return entity

    def subject(self, kind: str, ident: str, name: str | None) -> str:
        """The Person or Company of a library id; returns its FtM id."""
        schema = "Person" if kind == "person" else "Company"
        entity = self._make(schema, kind, ident)
        if entity.id in self.entities:
            entity = self.entities[entity.id]
        # organisations are public bodies and companies: only people are masked
        personal = self.masked and kind == "person"
        shown_name = (mask_name(name) if personal else name) if name else None
        shown_id = mask_id(ident) if personal else ident
        if shown_name:
            entity.add("name", shown_name)
        elif not entity.get("name"):
            entity.add("name", shown_id)
        entity.add("idNumber" if kind == "person" else "registrationNumber", shown_id)
        entity.add("country", "cn")
        self.entities[entity.id] = entity
        return str(entity.id)

    def link(self, schema: str, ends: tuple[tuple[str, str], tuple[str, str]],
             props: dict[str, Any], *key: str) -> None:  # fmt: skip
        entity = self._make(schema, *key)
        for prop, value in (*ends, *props.items()):
            if value is None or value == "":
                continue
            entity.add(prop, value)
        self.entities[entity.id] = entity

    def lead(self, warning: Any, subject_ftm_id: str | None, model_name: str) -> None:
        entity = self._make("Note", "warning", str(warning.id))
        entity.add("name", f"{model_name}（预警 {warning.id}）")
        text = warning.explanation or ""
        entity.add("description", mask_text(text) if self.masked else text)
        if subject_ftm_id is not None:
            entity.add("entity", subject_ftm_id)
        self.entities[entity.id] = entity


def _library_rows(lake_dir: Path, people: set[str], orgs: set[str]) -> dict[str, list[tuple]]:
    """Names and ties of the subjects in scope from the built libraries (absent ones: none)."""
    import duckdb

    from qingfeng.subject_library.attach import attach_libraries

    con = duckdb.connect()
    try:
        views = set(attach_libraries(con, lake_dir))
        con.execute("CREATE TEMP TABLE scope_ids (id VARCHAR)")
        con.executemany("INSERT INTO scope_ids VALUES (?)", [(i,) for i in people | orgs])
        out: dict[str, list[tuple]] = {"people": [], "organisations": [], "ties": [],
                                       "family": []}  # fmt: skip
        if "relations" in views:
            kinds = ", ".join(f"'{r}'" for r in RELATION_SCHEMA)
            out["ties"] = con.execute(
                f"""SELECT relation, from_type, from_id, to_type, to_id, detail, source
                FROM relations WHERE relation IN ({kinds})
                  AND from_type IN ('person', 'organisation')
                  AND to_type IN ('person', 'organisation')
                  AND (from_id IN (SELECT id FROM scope_ids) OR to_id IN (SELECT id FROM scope_ids))
                ORDER BY relation, from_id, to_id"""
            ).fetchall()
        if "relatives" in views:
            out["family"] = con.execute(
                """SELECT id_no, relative_id_no, min(relation), min(degree), min(derivation)
                FROM relatives WHERE id_no IN (SELECT id FROM scope_ids)
                GROUP BY id_no, relative_id_no ORDER BY id_no, relative_id_no"""
            ).fetchall()
        # names of every subject the export shows: those in scope and those their ties reach
        con.execute("CREATE TEMP TABLE shown_ids AS SELECT id FROM scope_ids")
        reached = [(r[2],) for r in out["ties"]] + [(r[4],) for r in out["ties"]]
        reached += [(r[1],) for r in out["family"]]
        if reached:
            con.executemany("INSERT INTO shown_ids VALUES (?)", reached)
        if "people" in views:
            out["people"] = con.execute(
                "SELECT id_no, name FROM people WHERE id_no IN (SELECT id FROM shown_ids)"
            ).fetchall()
        if "organisations" in views:
            out["organisations"] = con.execute(
                "SELECT uscc, name FROM organisations WHERE uscc IN (SELECT id FROM shown_ids)"
            ).fetchall()
        return out
    finally:
        con.close()


def _tie_props(relation: str, detail: str | None, source: str | None) -> dict[str, Any]:
    props: dict[str, Any] = {"sourceUrl": None, "summary": source}
    if relation == "shareholder_of" and detail:
        try:
            props["percentage"] = str(round(float(detail) * 100, 4))
        except ValueError:
            props["summary"] = f"{source}: {detail}"
    elif relation == "legal_rep_of":
        props["role"] = "法定代表人 legal representative"
    elif relation == "employed_by" and detail:
        props["role"] = detail
    elif relation == "transferred_to" and detail:
        props["purpose"] = detail
    return props


def export_ftm(
    actor: Actor,
    path: Path,
    lake_dir: Path,
    *,
    q: WarningQuery | None = None,
    masked: bool = True,
    models_dir: Path | None = None,
) -> dict[str, int]:
    """Write the FtM entities of the user's scope to `path` (JSON lines), audited; returns the
    number of entities of each schema."""
    if actor.user.role not in EXPORT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not export")
    if not masked and actor.user.role not in UNMASK_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not export unmasked personal data")
    q = (q or WarningQuery()).model_copy(update={"limit": 1, "offset": 0})
    warnings = list(actor.session.scalars(filtered(actor, q).order_by("id")))
    names = model_names(models_dir) if warnings else {}
    people = {w.subject_id for w in warnings if subject_kind(w.subject_id) == "person"}
    orgs = {w.subject_id for w in warnings if subject_kind(w.subject_id) == "organisation"}
    lib = _library_rows(lake_dir, people, orgs)
    out = FtmExport(masked=masked)
    known = {i: n for i, n in lib["people"]} | {u: n for u, n in lib["organisations"]}
    subject_ids: dict[str, str] = {}
    for w in warnings:
        kind = subject_kind(w.subject_id)
        if kind is not None:
            subject_ids[w.subject_id] = out.subject(
                kind, w.subject_id, known.get(w.subject_id) or w.subject_name
            )
        out.lead(w, subject_ids.get(w.subject_id), names.get(w.model_id, w.model_id))
    for relation, ft, fid, tt, tid, detail, source in lib["ties"]:
        schema, from_prop, to_prop = RELATION_SCHEMA[relation]
        a = out.subject(ft, fid, known.get(fid))
        b = out.subject(tt, tid, known.get(tid))
        out.link(schema, ((from_prop, a), (to_prop, b)), _tie_props(relation, detail, source),
                 relation, fid, tid)  # fmt: skip
    for id_no, relative, relation, degree, derivation in lib["family"]:
        a = out.subject("person", id_no, known.get(id_no))
        b = out.subject("person", relative, known.get(relative))
        words = FAMILY_WORDS.get(relation, relation)
        summary = f"亲属范围 degree {degree}: {derivation}"
        out.link("Family", (("person", a), ("relative", b)),
                 {"relationship": words, "summary": mask_text(summary) if masked else summary},
                 "family", id_no, relative)  # fmt: skip
    counts = _write(path, out.entities.values())
    audit.append(
        actor.session,
        actor.user.username,
        "ftm.export",
        "export",
        "ftm",
        {
            "entities": counts,
            "masked": masked,
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "warnings": len(warnings),
        },
    )
    return counts


def _write(path: Path, entities: Iterable[Any]) -> dict[str, int]:
    """JSON lines, one FtM entity each (the format `ftm` and Aleph's loader read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    counts: dict[str, int] = {}
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for entity in entities:
                fh.write(json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
                counts[entity.schema.name] = counts.get(entity.schema.name, 0) + 1
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return dict(sorted(counts.items()))
