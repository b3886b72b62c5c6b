"""Errors an ingest reports to a person: they name the file, and the row and column when known."""

from __future__ import annotations


class IngestError(Exception):
    """Bad input. `str()` is a complete, user-facing message (Chinese, then English)."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.column = column
        self.detail = message
        where = source
        if row is not None:
            where += f" 第{row}行 (row {row})"
        if column is not None:
            where += f" 列「{column}」(column {column!r})"
        super().__init__(f"{where}: {message}")


class DiskFull(IngestError):
    """The disk filled up while an ingest wrote its staging files. Raised after the staging
    folder is removed; the lake's catalogue and the workflow store were never touched."""

    def __init__(self, folder: str) -> None:
        super().__init__(
            folder,
            "磁盘空间不足，导入已停止，临时文件已清理，数据湖与工作流库均未改动 / "
            "the disk is full: the ingest stopped, its temporary files were removed, "
            "and the lake and the store are unchanged",
        )


_DISK_FULL_TEXT = ("No space left on device", "database or disk is full", "Disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (an OSError, or a DuckDB / SQLite error quoting one) says the disk is full."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(text in str(exc) for text in _DISK_FULL_TEXT)
