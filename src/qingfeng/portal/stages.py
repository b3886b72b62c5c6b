"""The stages a complaint went through, with their times, as the citizen's tracking page and the
back office's workbench show them: received, taken up (the first step of its warning out of
`new`), disposed (the warning reached a disposed state) and the reply made public.

Read from the closed loop's own timeline (`warning_events`) of the warning carrying the case (a
duplicate merged into another follows the survivor), so the two views cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.portal.complaints import DISPOSED_STATUSES, _effective_warning
from qingfeng.portal.models import Complaint
from qingfeng.store.models import Warning, WarningEvent

STAGE_LABELS = {
    "received": "已受理",
    "in_progress": "开始核查办理",
    "disposed": "办理完毕",
    "replied": "答复公开",
}


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    at: datetime


def complaint_stages(session: Session, c: Complaint) -> list[Stage]:
    """The stages reached, oldest first. A reopened case shows only what still holds: after the
    last reopening the disposal and the reply appear again when they happen again."""
    stages = [Stage("received", STAGE_LABELS["received"], c.created_at)]
    warning = _effective_warning(
        session, session.get(Warning, c.warning_id) if c.warning_id else None
    )
    if warning is None:
        return stages
    ids = {warning.id}
    if c.warning_id is not None:
        ids.add(c.warning_id)
    events = session.execute(
        select(WarningEvent.at, WarningEvent.to_state, WarningEvent.from_state)
        .where(WarningEvent.warning_id.in_(ids), WarningEvent.to_state.is_not(None))
        .order_by(WarningEvent.at, WarningEvent.id)
    ).all()
    started = next((at for at, to, frm in events if to != "new" and to != frm), None)
    if started is not None:
        stages.append(Stage("in_progress", STAGE_LABELS["in_progress"], started))
    disposed_at = None
    for at, to, _frm in events:
        # Leaving the disposed states (reopened) cancels the earlier disposal.
        disposed_at = (disposed_at or at) if to in DISPOSED_STATUSES else None
    if disposed_at is not None and warning.status in DISPOSED_STATUSES:
        stages.append(Stage("disposed", STAGE_LABELS["disposed"], disposed_at))
    if c.status == "replied" and c.replies:
        stages.append(Stage("replied", STAGE_LABELS["replied"], c.replies[-1].published_at))
    return stages
