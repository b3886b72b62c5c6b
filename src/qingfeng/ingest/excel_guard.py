"""Excel workbooks measured before they are read: a zip bomb is refused in about a second.

An .xlsx (or .xlsm, .ods) is a zip archive; a few megabytes can unpack to many gigabytes of
sheet XML, which a reader would then hold in memory. The archive's own size fields can lie, so
each part is really decompressed, in chunks, and counted: once the total passes the limit, or a
sheet passes the row limit, reading stops with an error naming the file and the setting. Nothing
is kept, so the check costs time bounded by the limit and no memory beyond one chunk.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingfeng.ingest.errors import IngestError

MB = 1024 * 1024
_CHUNK = 1 << 20
_ROW_TAGS = (b"<row ", b"<row>", b"<table:table-row")  # xlsx rows and OpenDocument rows


@dataclass(frozen=True)
class ExcelLimits:
    max_uncompressed_bytes: int = 512 * MB
    max_rows: int = 2_000_000

    @classmethod
    def from_settings(cls, settings: Any) -> ExcelLimits:
        return cls(
            max_uncompressed_bytes=int(settings.xlsx_max_uncompressed_mb * MB),
            max_rows=int(settings.xlsx_max_rows),
        )


def _is_sheet(name: str) -> bool:
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name == "content.xml"


def check_workbook(path: Path, limits: ExcelLimits) -> None:
    """Raise IngestError if the workbook unpacks to more than the limits allow. Files that are
    not zip archives (.xls) are left to the reader."""
    if not zipfile.is_zipfile(path):
        return
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                rows = 0
                tail = b""
                counting = _is_sheet(info.filename)
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        total += len(chunk)
                        if total > limits.max_uncompressed_bytes:
                            raise _too_big(path, limits)
                        if counting:
                            window = tail + chunk
                            rows += sum(window.count(tag) for tag in _ROW_TAGS)
                            rows -= sum(tail.count(tag) for tag in _ROW_TAGS)
                            tail = chunk[-32:]
                            if rows > limits.max_rows:
                                raise IngestError(
                                    f"{path.name}#{info.filename}",
                                    f"工作表超过 {limits.max_rows} 行，已拒绝 / the sheet has more "
                                    f"than {limits.max_rows} rows (xlsx_max_rows): refused",
                                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError) as exc:
        raise IngestError(
            path.name,
            f"不是有效的 Excel 工作簿 / not a readable Excel workbook ({exc.__class__.__name__})",
        ) from None


def _too_big(path: Path, limits: ExcelLimits) -> IngestError:
    mb = limits.max_uncompressed_bytes // MB
    return IngestError(
        path.name,
        f"解压后超过 {mb} MB，疑似压缩炸弹，已拒绝 / unpacks to more than {mb} MB "
        "(xlsx_max_uncompressed_mb): refused as a likely zip bomb",
    )
