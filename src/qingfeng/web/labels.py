"""Codes as a reader sees them: every code the back office shows (audit actions and object
types, statuses, severities, subject types) goes through the message catalogue
(messages.yaml), in the reader's language. A code the catalogue does not know yet is shown as
it is (a test walks the pages and fails on such a code)."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from typing import Any

from markupsafe import Markup, escape

from qingfeng.loop.machine import TRANSITIONS
from qingfeng.web.i18n import Translator


def _half(label: str, verb: str, lang: str) -> str:
    """One language of a closed-loop transition label ("签收核查 / accept and verify", "分办
    dispatch", "退回补充"): the Chinese words before any Latin letter, else the English ones."""
    zh = re.match(r"[^A-Za-z/]*", label)
    if lang == "zh" and zh and zh.group().strip():
        return zh.group().strip()
    en = re.search(r"[A-Za-z][A-Za-z ]*$", label)
    return en.group().strip() if en else verb.replace("_", " ")


def audit_action(t: Translator, action: str) -> str:
    key = f"audit.action.{action}"
    if t.has(key):
        return t(key)
    kind, _dot, verb = action.partition(".")
    if kind == "warning" and verb in TRANSITIONS:
        return t("audit.action.warning_step", step=_half(TRANSITIONS[verb].label, verb, t.lang))
    return action


def audit_object(t: Translator, object_type: str) -> str:
    return t.maybe(f"audit.object.{object_type}", object_type)


def code_label(t: Translator, kind: str, code: str | None) -> str:
    """`kind` is the catalogue's prefix: status, severity, subject_type, finding, ..."""
    if code is None or code == "":
        return ""
    return t.maybe(f"{kind}.{code}", code)


def readable_json(value: Any) -> str:
    """A JSON value as people read it: Chinese as Chinese (no \\u escapes), keys in order."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# ------------------------------------------------------------------ fields, datasets, values


@cache
def _catalogue_fields() -> dict[str, dict[str, tuple[str, str]]]:
    """dataset → field → (zh, en) from the dataset catalogue; key "" holds, per field name, the
    label the most datasets give it."""
    from qingfeng.dataspec.loader import load_catalogue

    out: dict[str, dict[str, tuple[str, str]]] = {}
    seen: dict[str, Counter[tuple[str, str]]] = {}
    for ds in load_catalogue().values():
        out[ds.id] = {f.name: (f.zh, f.en) for f in ds.fields}
        for f in ds.fields:
            seen.setdefault(f.name, Counter())[(f.zh, f.en)] += 1
    out[""] = {name: c.most_common(1)[0][0] for name, c in seen.items()}
    return out


@cache
def _catalogue_values() -> dict[str, dict[str, str]]:
    """field → canonical enum value → its first Chinese spelling, over the whole catalogue."""
    from qingfeng.dataspec.loader import load_catalogue

    out: dict[str, dict[str, str]] = {}
    for ds in load_catalogue().values():
        for f in ds.fields:
            for value, spellings in (f.values or {}).items():
                zh = next((s for s in spellings if re.search(r"[\u4e00-\u9fff]", s)), None)
                if zh:
                    out.setdefault(f.name, {}).setdefault(value, zh)
    return out


def _humane(name: str) -> str:
    """`owner_id_no` → "Owner ID no." for an English reader."""
    words = [
        {"id": "ID", "no": "no.", "uscc": "USCC", "pct": "%", "dq": "disqualified"}.get(w, w)
        for w in name.split("_")
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _short_en(text: str) -> str:
    """The catalogue's English meaning as a column heading: its first clause."""
    return re.split(r" \(|; |: |, ", text, maxsplit=1)[0].strip()


def field_label(t: Translator, name: str, dataset: str | None = None) -> str:
    """A column or field as a heading: the dataset's own wording in the catalogue, else the
    message catalogue's `fieldname.*`, else any dataset's, else the name spelled out (English)
    or as it is (Chinese, for a test to catch)."""
    fields = _catalogue_fields()
    own = fields.get(dataset or "", {}).get(name) if dataset else None
    if own is None and t.has(f"fieldname.{name}"):
        return t(f"fieldname.{name}")
    found = own or fields[""].get(name)
    if found is not None:
        zh, en = found
        if t.lang == "zh":
            return zh
        short = _short_en(en)
        return short if "_" not in short and len(short) <= 40 else _humane(name)
    return _humane(name) if t.lang == "en" else name


def dataset_label(t: Translator, dataset: str) -> str:
    if t.has(f"dataset.{dataset}"):
        return t(f"dataset.{dataset}")
    from qingfeng.dataspec.loader import load_catalogue

    spec = load_catalogue().get(dataset)
    if spec is not None:
        return spec.zh if t.lang == "zh" else spec.en
    return _humane(dataset) if t.lang == "en" else dataset


# Fields whose values are codes of one of the catalogue's kinds (status.*, finding.*, ...).
_VALUE_KINDS = {
    "from": "status",
    "to": "status",
    "from_status": "status",
    "to_status": "status",
    "measures": "measure",
    "role": "role",
    "subject_type": "subject_type",
}


def value_label(t: Translator, field: str, value: Any) -> str:
    """A value as people read it: yes/no for booleans, lists joined, an enum's code in the
    reader's words (the message catalogue's `value.FIELD.CODE` or `value.CODE`, else the
    dataset catalogue's first Chinese spelling)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, list | tuple):
        return "、".join(value_label(t, field, v) for v in value)
    if isinstance(value, dict):
        return readable_json(value)
    text = str(value)
    if not re.fullmatch(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*", text):
        return text
    kind = _VALUE_KINDS.get(field, field)
    for key in (f"value.{field}.{text}", f"{kind}.{text}", f"value.{text}"):
        if t.has(key):
            return t(key)
    if t.lang == "zh" and field in ("category", "kind"):
        from qingfeng.portal.complaints import CATEGORIES
        from qingfeng.portal.kinds import KINDS

        found = CATEGORIES.get(text) if field == "category" else None
        if found is None and text in KINDS:
            found = KINDS[text].label
        if found:
            return found
    if t.lang == "en":
        return text.replace("_", " ")
    return _catalogue_values().get(field, {}).get(text, text)


def one_language(text: str | None, lang: str) -> str:
    """A description written in both languages, Chinese lines then English ones, as one
    reader's language: the lines in that language (all of it when it has none)."""
    if not text:
        return ""
    lines = text.strip().splitlines()

    def english(line: str) -> bool:
        return len(re.findall(r"[A-Za-z]", line)) > 2 * len(re.findall(r"[\u4e00-\u9fff]", line))

    kept = [ln for ln in lines if english(ln) == (lang == "en")]
    return "\n".join(kept) if kept else text.strip()


def param_value(t: Translator, value: Any) -> Markup:
    """A model parameter's value: yes/no for a switch, a number as it is, anything else (a list
    of codes, a pattern) as the literal a parameter profile holds."""
    text = str(value)
    if text in ("True", "False"):
        return Markup(escape(t("common.yes") if text == "True" else t("common.no")))
    if re.fullmatch(r"-?[\d.]+", text):
        return Markup(escape(text))
    return Markup("<code>{}</code>").format(text)


def one_side(text: str | None, lang: str) -> str:
    """A message written "中文 / English" (clauses joined by "; ") in one reader's language,
    with any code in brackets after it left out."""
    if not text:
        return ""
    sides = []
    for clause in str(text).split("; "):
        zh, sep, en = clause.partition(" / ")
        sides.append((en if lang == "en" else zh) if sep else clause)
    return re.sub(
        r"\s*\([a-z][a-z0-9_]*\)", "", "；".join(sides) if lang == "zh" else "; ".join(sides)
    )


def readable_detail(t: Translator, detail: Any) -> str:
    """An audit entry's details as "field: value" in the reader's language (JSON, readably,
    for what has no fields)."""
    if not isinstance(detail, dict):
        return readable_json(detail) if detail not in (None, "") else ""
    sep, colon = ("；", "：") if t.lang == "zh" else ("; ", ": ")
    parts = []
    for key, value in detail.items():
        if isinstance(value, dict):
            shown = readable_detail(t, value)
        elif key in ("kind", "dataset", "datasets") and isinstance(value, str | list):
            names = value if isinstance(value, list) else [value]
            shown = "、".join(
                value_label(t, "kind", n) if key == "kind" else dataset_label(t, str(n))
                for n in names
            )
        else:
            shown = value_label(t, key, value)
        parts.append(f"{field_label(t, str(key))}{colon}{shown if shown != '' else '—'}")
    return sep.join(parts)


# A name a model's text cites: an identifier, or a Latin word glossed in brackets beside it.
_LITERAL = re.compile(
    r"(?<![\w.-])(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|(?<=[（(])[a-z]+(?=[)）])|[a-z]+(?=（))(?![\w-])"
)


def model_text(text: str | None, lang: str) -> Markup:
    """A model's logic as its author wrote it, in the reader's language, with the names it
    cites (a parameter, a library) set as code: they are the literals of the spec."""
    shown = one_language(text, lang)
    out, last = [], 0
    for m in _LITERAL.finditer(shown):
        out.append(escape(shown[last : m.start()]))
        out.append(Markup("<code>{}</code>").format(m.group()))
        last = m.end()
    out.append(escape(shown[last:]))
    return Markup("").join(out)
