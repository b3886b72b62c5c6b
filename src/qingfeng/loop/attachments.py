"""Attachments: files stored once under <workspace>/attachments/<sha256>, type and size limited."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath

from sqlalchemy import insert, select

from qingfeng import audit
from qingfeng.loop.errors import InvalidInput, NotFound, PermissionDenied
from qingfeng.loop.machine import COMMENT_ROLES, Actor
from qingfeng.loop.service import get_warning
from qingfeng.store.models import MAX_ID, Attachment, WarningEvent

# File signatures: the declared type must match the bytes (a renamed .exe is refused).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",),
}


def _check(actor: Actor, filename: str, data: bytes) -> tuple[str, str]:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name:
        raise InvalidInput("attachment has no file name")
    if len(name) > 255:
        raise InvalidInput(f"attachment file name is {len(name)} characters long (255 at most)")
    suffix = PurePath(name).suffix.lower()
    types = actor.config.attachment_types
    if suffix not in types:
        raise InvalidInput(
            f"附件 {name} 类型不允许 / file type {suffix or '(none)'} of {name} is not allowed; "
            f"allowed: {', '.join(sorted(types))}"
        )
    limit = actor.config.attachment_max_bytes
    if len(data) > limit:
        raise InvalidInput(f"附件 {name} 过大 / {name} is {len(data)} bytes, the limit is {limit}")
    if not data:
        raise InvalidInput(f"attachment {name} is empty")
    magic = _MAGIC.get(suffix)
    if magic and not data.startswith(magic):
        raise InvalidInput(f"{name} does not look like a {suffix} file (its content differs)")
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text") from None
    return name, types[suffix]


def add_attachment(
    actor: Actor,
    warning_id: int,
    filename: str,
    data: bytes,
    attachments_dir: Path,
    *,
    event_id: int | None = None,
) -> Attachment:
    """Store the file (content-addressed, written atomically) and record it on the warning,
    linked to the action or comment it came with (`event_id`) when it came with one.

    If the transaction later rolls back, the stored file stays as an unreferenced blob: harmless,
    and re-uploading the same bytes reuses it.
    """
    if actor.user.role not in COMMENT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not attach files")
    warning = get_warning(actor, warning_id)
    name, content_type = _check(actor, filename, data)
    digest = _store(data, attachments_dir)
    row = Attachment(
        warning_id=warning.id,
        uploader_id=actor.user.id,
        at=actor.now,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        event_id=event_id,  # the action or comment it came with
    )
    actor.session.add(row)
    actor.session.flush()
    detail = {"attachment_id": row.id, "sha256": digest, "size": len(data), "type": content_type}
    if event_id is not None:
        detail["event_id"] = event_id
    actor.session.add(
        WarningEvent(
            warning_id=warning.id,
            at=actor.now,
            actor_id=actor.user.id,
            action="attach",
            from_state=warning.status,
            to_state=warning.status,
            payload={**detail, "filename": name},
        )
    )
    audit.append(
        actor.session, actor.user.username, "warning.attach", "warning", warning.id, detail
    )
    return row


def check_files(actor: Actor, files: Sequence[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """(name, content type) of each file, or InvalidInput naming the first refused one: called
    before anything is written, so a bad file refuses the whole action at no cost."""
    if actor.user.role not in COMMENT_ROLES:
        raise PermissionDenied(f"role {actor.user.role} may not attach files")
    return [_check(actor, name, data) for name, data in files]


def attach_to_bulk_dispatch(
    actor: Actor,
    warning_ids: Sequence[int],
    files: Sequence[tuple[str, bytes]],
    attachments_dir: Path,
    chunk: int = 2000,
) -> int:
    """Link each file to the dispatch every one of these warnings just got (same transaction,
    right after `qingfeng.loop.service.bulk_dispatch`, which checked their scope): the file is
    stored once, and each warning gets what `add_attachment` gives one — its attachment row
    linked to its dispatch event, an "attach" entry on its timeline and an audit row. Set-based:
    one multi-row INSERT per table. Returns the number of attachment rows written."""
    if not files or not warning_ids:
        return 0
    checked = check_files(actor, files)
    ids = sorted(set(warning_ids))
    event_of: dict[int, int] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for event_id, warning_id in actor.session.execute(
            select(WarningEvent.id, WarningEvent.warning_id).where(
                WarningEvent.warning_id.in_(part),
                WarningEvent.action == "dispatch",
                WarningEvent.at == actor.now,
            )
        ):
            event_of[warning_id] = max(event_id, event_of.get(warning_id, 0))
    missing = [i for i in ids if i not in event_of]
    if missing:
        raise InvalidInput(f"warnings {missing[:10]} were not dispatched by this action")
    stored = []
    for (name, content_type), (_, data) in zip(checked, files, strict=True):
        stored.append((name, content_type, len(data), _store(data, attachments_dir)))
    conn = actor.session.connection()
    rows = [
        {
            "warning_id": wid,
            "uploader_id": actor.user.id,
            "at": actor.now,
            "filename": name,
            "content_type": content_type,
            "size": size,
            "sha256": digest,
            "event_id": event_of[wid],
        }
        for wid in ids
        for name, content_type, size, digest in stored
    ]
    made = (
        conn.execute(
            insert(Attachment).returning(Attachment.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    details = [
        {"attachment_id": aid, "sha256": row["sha256"], "size": row["size"],
         "type": row["content_type"], "event_id": row["event_id"]}
        for aid, row in zip(made, rows, strict=True)
    ]  # fmt: skip
    conn.execute(
        insert(WarningEvent),
        [
            {
                "warning_id": row["warning_id"],
                "at": actor.now,
                "actor_id": actor.user.id,
                "action": "attach",
                "from_state": "dispatched",
                "to_state": "dispatched",
                "payload": {**detail, "filename": row["filename"]},
            }
            for row, detail in zip(rows, details, strict=True)
        ],
    )
    audit.append_many(
        actor.session,
        [
            audit.AuditEntry(
                actor.user.username, "warning.attach", "warning", str(row["warning_id"]), detail
            )
            for row, detail in zip(rows, details, strict=True)
        ],
    )
    return len(rows)


def _store(data: bytes, attachments_dir: Path) -> str:
    """Write the bytes once under their sha256 (atomically); returns the digest."""
    digest = hashlib.sha256(data).hexdigest()
    attachments_dir.mkdir(parents=True, exist_ok=True)
    target = attachments_dir / digest
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=attachments_dir, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return digest


def open_attachment(
    actor: Actor, attachment_id: int, attachments_dir: Path
) -> tuple[Attachment, Path]:
    """The attachment and its file, if the user may see its warning (the download is audited)."""
    row = actor.session.get(Attachment, attachment_id) if 1 <= attachment_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"attachment {attachment_id} not found")
    get_warning(actor, row.warning_id)  # scope check: NotFound if out of scope
    path = attachments_dir / row.sha256
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment_id} is missing from {attachments_dir}")
    if hashlib.sha256(path.read_bytes()).hexdigest() != row.sha256:
        raise InvalidInput(f"the stored file of attachment {attachment_id} was altered")
    audit.append(
        actor.session,
        actor.user.username,
        "attachment.download",
        "attachment",
        row.id,
        {"warning_id": row.warning_id},
    )
    return row, path
