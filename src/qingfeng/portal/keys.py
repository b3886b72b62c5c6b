"""Keyed hashes (HMAC-SHA256) of personal identifiers, computed the same way in Python and DuckDB.

Published rows and the self-query log never hold an ID number in clear: they hold HMACs under a
key derived from `settings.secret_key`. Rotating the secret key makes earlier snapshots
unsearchable by self-query (republish them) — it never exposes them.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

_BLOCK = 64  # SHA-256 block size in bytes


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so one leaked hash kind says nothing about another."""
    if not secret_key:
        raise ValueError(
            "settings.secret_key is empty: run `qingfeng init` or set QINGFENG_SECRET_KEY"
        )
    return hmac.new(secret_key.encode(), f"qingfeng.portal.{purpose}".encode(), "sha256").digest()


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key ⊕ ipad, key ⊕ opad): lets DuckDB compute HMAC-SHA256 with two sha256 calls."""
    padded = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def duckdb_hmac_sql(message_sql: str, ipad_param: str, opad_param: str) -> str:
    """SQL expression: hex HMAC-SHA256 of the VARCHAR `message_sql` under the key whose pads are
    bound as BLOB parameters. Equal to `keyed_hash` (tested)."""
    return (
        f"sha256({opad_param}::BLOB || unhex(sha256({ipad_param}::BLOB || encode({message_sql}))))"
    )


SEP = "\x1f"  # unit separator: cannot appear in a normalised ID number or name


def normalise_id(id_no: str) -> str:
    return unicodedata.normalize("NFKC", id_no).strip().upper()


def normalise_name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def person_message(id_no: str, name: str) -> str:
    return f"{normalise_id(id_no)}{SEP}{normalise_name(name)}"


def verify_message(id_no: str, answer: str) -> str:
    return f"{normalise_id(id_no)}{SEP}{unicodedata.normalize('NFKC', answer).strip().upper()}"
