"""The audit key of each store, known to this process from its settings.

Settings register their `audit_key` under their store URL when built; the audit writers look the
key up from the connection they write through. The key never enters the store: whoever holds only
the database cannot produce a row or a checkpoint that verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

_KEYS: dict[str, bytes] = {}
_LOCK = threading.Lock()


def _normal(url: Any) -> str:
    parsed = url if hasattr(url, "render_as_string") else make_url(str(url))
    return str(parsed.render_as_string(hide_password=False))


def register_key(store_url: str, key: str) -> None:
    """Use `key` for the audit rows written to `store_url` (an empty key: none)."""
    with _LOCK:
        if key:
            _KEYS[_normal(store_url)] = key.encode("utf-8")
        else:
            _KEYS.pop(_normal(store_url), None)


def key_for_url(store_url: object) -> bytes | None:
    with _LOCK:
        return _KEYS.get(_normal(store_url))


def key_for_session(session: Session) -> bytes | None:
    return key_for_url(session.get_bind().engine.url)


def mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def row_mac(key: bytes, seq: int, row_hash: str) -> str:
    return mac(key, f"row:{seq}:{row_hash}")
