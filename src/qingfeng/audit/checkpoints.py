"""Signed checkpoints of the audit chain's head, kept outside the store.

One JSON line per checkpoint: the head's seq and hash, when it was taken, and an HMAC of the
three under the audit key. `qingfeng audit verify` checks every checkpoint against the chain, so
rows cut from the end, or a chain rebuilt from some row on, no longer match what was witnessed.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from qingfeng.audit.keys import mac
from qingfeng.store.models import utcnow


class CheckpointError(ValueError):
    """The checkpoint file is unreadable or a line is not signed by the audit key."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str


def _message(seq: int, head_hash: str, at: str) -> str:
    return f"checkpoint:{seq}:{head_hash}:{at}"


def write(path: Path, key: bytes, seq: int, head_hash: str) -> Checkpoint:
    """Append a signed checkpoint and flush it to disk."""
    at = utcnow().isoformat(timespec="seconds")
    line = json.dumps(
        {"seq": seq, "hash": head_hash, "at": at, "mac": mac(key, _message(seq, head_hash, at))}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return Checkpoint(seq, head_hash, at)


def read(path: Path, key: bytes) -> list[Checkpoint]:
    """Every checkpoint in `path` (none if it does not exist), each checked against the key."""
    if not path.exists():
        return []
    result: list[Checkpoint] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            cp = Checkpoint(int(item["seq"]), str(item["hash"]), str(item["at"]))
            given = str(item["mac"])
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{path} line {number} is not a checkpoint") from None
        if not hmac.compare_digest(given, mac(key, _message(cp.seq, cp.hash, cp.at))):
            raise CheckpointError(f"{path} line {number} is not signed by the audit key")
        result.append(cp)
    return result
