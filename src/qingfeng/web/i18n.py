"""A small message catalogue: Simplified Chinese by default, English on request.

Messages live in messages.yaml as `key: {zh: ..., en: ...}`; templates call `t("key", name=...)`.
The language comes from `?lang=` (remembered in a cookie), then the cookie, then the workspace
setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "qf_lang"
MESSAGES_FILE = Path(__file__).parent / "messages.yaml"


class CatalogueError(ValueError):
    """messages.yaml is malformed; the message names the key at fault."""


@cache
def load_catalogue(path: Path = MESSAGES_FILE) -> dict[str, dict[str, str]]:
    """Every message, checked: each key has a non-empty text in every language."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected a mapping of message keys")
    catalogue: dict[str, dict[str, str]] = {}
    for key, texts in raw.items():
        if not isinstance(texts, dict):
            raise CatalogueError(f"{path}: message {key!r} must map languages to texts")
        for lang in LANGUAGES:
            if not isinstance(texts.get(lang), str) or not texts[lang].strip():
                raise CatalogueError(f"{path}: message {key!r} has no {lang!r} text")
        catalogue[str(key)] = {lang: texts[lang] for lang in LANGUAGES}
    return catalogue


def pick_language(query: str | None, cookie: str | None, default: str) -> str:
    for candidate in (query, cookie, default):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """Bound to one language for one request."""

    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        entry = load_catalogue().get(key)
        if entry is None:
            # A missing key is a bug a test catches; show it rather than crash a page.
            return key
        text = entry[self.lang]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in load_catalogue()

    def maybe(self, key: str, fallback: str) -> str:
        """Translate a data-driven key (e.g. a status) that may not be in the catalogue."""
        return self(key) if self.has(key) else fallback
