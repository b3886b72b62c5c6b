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
