"""Codes as a reader sees them: every code the back office shows (audit actions and object
types, statuses, severities, subject types) goes through the message catalogue
(messages.yaml), in the reader's language. A code the catalogue does not know yet is shown as
it is (a test walks the pages and fails on such a code)."""

from __future__ import annotations

import json
import re
from typing import Any

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
