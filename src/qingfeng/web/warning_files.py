"""What the detail page adds for queues: files that come with an action or comment (checked,
stored hashed and linked to the action's timeline event by qingfeng.loop.attachments), the
risk score's parts, and the findings submitted for review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from qingfeng.loop.attachments import add_attachment
from qingfeng.loop.errors import InvalidInput
from qingfeng.loop.machine import Actor
from qingfeng.loop.risk import describe
from qingfeng.settings import Settings
from qingfeng.store.models import Attachment, User, Warning, WarningEvent

MAX_FILES = 10  # per action or comment


async def uploaded_files(form: Any, limit: int) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the files chosen in the form's `files` input. The bytes read stop
    one past the size limit, enough for the loop to refuse the file with its name."""
    out = []
    for item in form.getlist("files"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue  # an empty file input still sends a part without a name
        out.append((item.filename, await item.read(limit + 1)))
    if len(out) > MAX_FILES:
        raise InvalidInput(f"files: {len(out)} files at once, {MAX_FILES} at most")
    return out


def attach_to_last_event(
    actor: Actor, warning_id: int, action: str, files: list[tuple[str, bytes]], settings: Settings
) -> None:
    """Attach the files to the event the action (or comment) just wrote, in its transaction:
    a refused file refuses the whole action."""
    if not files:
        return
    event_id = actor.session.scalar(
        select(func.max(WarningEvent.id)).where(
            WarningEvent.warning_id == warning_id, WarningEvent.action == action
        )
    )
    for name, data in files:
        add_attachment(actor, warning_id, name, data, settings.attachments_dir, event_id=event_id)


def queue_detail_context(actor: Actor, warning: Warning) -> dict[str, Any]:
    rows = actor.session.execute(
        select(Attachment, User.display_name)
        .outerjoin(User, User.id == Attachment.uploader_id)
        .where(Attachment.warning_id == warning.id)
        .order_by(Attachment.id)
    ).all()
    submission = warning.submission or None
    submitter = None
    if submission and submission.get("by"):
        person = actor.session.get(User, submission["by"])
        submitter = person.display_name or person.username if person else None
    return {
        "risk_parts": describe(warning.risk_parts),
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "size": a.size,
                "at": a.at,
                "by": by or "",
                "event_id": a.event_id,
            }
            for a, by in rows
        ],
        "submission": submission,
        "submitter": submitter,
        "attachment_accept": ",".join(sorted(actor.config.attachment_types)),
    }
