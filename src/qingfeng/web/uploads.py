"""Department files uploaded in the browser: kept under sources/uploads/<token>/, read once to
propose a mapping per table, and ingested only after a person confirms that mapping.

A file that cannot be read or whose headers match no standard dataset is deleted at once: nothing
of it stays in the workspace. A confirmed file stays as the source of record of its batch (the
lake identifies a source by content, so ingesting it again changes nothing).
"""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from qingfeng.ingest import readers
from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.mapping import Mapping, find_mapping, propose
from qingfeng.ingest.pipeline import _connection, _sources, ingest_path
from qingfeng.ingest.report import IngestReport
from qingfeng.settings import Settings

DEFAULT_UPLOAD_LIMIT = 200 * 1024 * 1024  # bytes; larger files go through `qingfeng ingest`
CHUNK = 1024 * 1024
TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")


class UploadError(ValueError):
    """The upload is refused; the message names the file and why (shown to the user)."""


@dataclass
class TablePreview:
    source: str  # "file.csv" or "file.xlsx#Sheet1"
    dataset: str
    mapping: Mapping
    saved: bool  # a mapping for these headers was already saved (and maybe confirmed)
    samples: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class UploadPreview:
    token: str
    filename: str
    size: int
    tables: list[TablePreview]


def uploads_dir(settings: Settings) -> Path:
    return settings.sources_dir / "uploads"


def safe_filename(name: str) -> str:
    """The last path component, without control or path characters (a name, never a path)."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]", "_", base)
    return base[:150] or "upload"


def save_upload(
    settings: Settings, filename: str, stream: BinaryIO, limit: int
) -> tuple[str, Path]:
    """Copy the stream to a fresh folder, stopping at `limit` bytes (the folder is then removed)."""
    name = safe_filename(filename)
    if readers.file_kind(Path(name)) is None:
        raise UploadError(
            f"「{name}」不是支持的文件类型（CSV、Excel、Parquet、JSON lines）"
            f" / {name}: unsupported kind of file"
        )
    token = secrets.token_hex(8)
    folder = uploads_dir(settings) / token
    folder.mkdir(parents=True)
    target = folder / name
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise UploadError(
                        f"「{name}」超过大小上限 {limit // (1024 * 1024)} MB，请用命令行导入"
                        f" / {name} is larger than {limit} bytes; use `qingfeng ingest`"
                    )
                out.write(chunk)
        if written == 0:
            raise UploadError(f"「{name}」是空文件 / {name} is empty")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, target


def upload_path(settings: Settings, token: str) -> Path:
    if not TOKEN_RE.fullmatch(token):
        raise UploadError("上传编号无效 / not an upload id")
    folder = uploads_dir(settings) / token
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    if len(files) != 1:
        raise UploadError("上传的文件已不存在，请重新上传 / the upload is gone; upload it again")
    return files[0]


def discard(settings: Settings, token: str) -> None:
    if TOKEN_RE.fullmatch(token):
        shutil.rmtree(uploads_dir(settings) / token, ignore_errors=True)


def preview(settings: Settings, token: str) -> UploadPreview:
    """Read each table's headers and propose its mapping; an unreadable or unrecognised file is
    deleted and UploadError says why."""
    path = upload_path(settings, token)
    kind = readers.file_kind(path)
    staging = path.parent / ".preview"
    tables: list[TablePreview] = []
    try:
        con = _connection(staging)
        try:
            for src in _sources(path, kind or "", staging, con):
                saved = find_mapping(settings.mappings_dir, src.headers)
                if saved is not None:
                    tables.append(TablePreview(src.name, saved.dataset, saved, True))
                    continue
                proposal = propose(src.headers, src.name, None, src.samples())
                if proposal.mapping is None:
                    raise UploadError(f"{src.name}: {proposal.reason}")
                tables.append(
                    TablePreview(
                        src.name, proposal.mapping.dataset, proposal.mapping, False, src.samples()
                    )
                )
        finally:
            con.close()
        if not tables:
            raise UploadError(f"「{path.name}」中没有数据表 / {path.name} holds no table")
    except IngestError as exc:
        discard(settings, token)
        raise UploadError(str(exc)) from None
    except UploadError:
        discard(settings, token)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return UploadPreview(token, path.name, path.stat().st_size, tables)


def ingest_upload(settings: Settings, token: str, datasets: dict[str, str]) -> IngestReport:
    """Ingest the upload, accepting for each table exactly the mapping the person confirmed
    (`datasets`: table → dataset shown). A different proposal is saved for review instead."""
    path = upload_path(settings, token)

    def confirm(src: readers.SourceTable, mapping: Mapping) -> bool:
        return datasets.get(src.name) == mapping.dataset

    return ingest_path(settings, path, assume_yes=False, confirm=confirm)
