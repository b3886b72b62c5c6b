"""The audit log: append-only, hash-chained, written in the same transaction as the change."""

from qingfeng.audit.log import (
    GENESIS_HASH,
    AuditEntry,
    ChainReport,
    append,
    append_many,
    head,
    verify,
)

__all__ = ["GENESIS_HASH", "AuditEntry", "ChainReport", "append", "append_many", "head", "verify"]
