"""Complaint attachments: type checked by content (magic bytes), size limited, stored once under
<workspace>/attachments/<sha256> (content-addressed, written atomically)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qingfeng.portal.errors import PortalError

# Allowed types: what the file starts with decides, never the name or the declared type.
_MAGIC: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)
ALLOWED_EXTENSIONS = tuple(ext for _, _, exts in _MAGIC for ext in exts)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class StoredAttachment:
    sha256: str
    original_name: str
    content_type: str
    size: int


def check_upload(upload: Upload, max_bytes: int) -> str:
    """The content type of an acceptable upload, or a PortalError naming the file."""
    name = os.path.basename(upload.filename or "")[:200] or "附件"
    if len(upload.data) == 0:
        raise PortalError(f"附件 {name} 是空文件", field="attachments")
    if len(upload.data) > max_bytes:
        raise PortalError(
            f"附件 {name} 超过 {max_bytes // (1024 * 1024)} MB 上限", field="attachments"
        )
    ext = os.path.splitext(name)[1].lower()
    for magic, ctype, exts in _MAGIC:
        if upload.data.startswith(magic):
            if ext not in exts:
                raise PortalError(f"附件 {name} 的扩展名与内容不符", field="attachments")
            return ctype
    raise PortalError(
        f"附件 {name} 类型不允许：仅接受 JPG、PNG 图片和 PDF 文件", field="attachments"
    )


def store_upload(upload: Upload, content_type: str, folder: Path) -> StoredAttachment:
    digest = hashlib.sha256(upload.data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(upload.data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredAttachment(
        sha256=digest,
        original_name=os.path.basename(upload.filename or "")[:200] or "附件",
        content_type=content_type,
        size=len(upload.data),
    )
