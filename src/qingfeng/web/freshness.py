"""Figures that follow the data: after a commit that wrote a warning or a case, call back.

The dashboard and the big screen cache their figures; a page action, an API call or a portal
reply that changes a warning or a case (a case archived with the funds it recovered) marks them
stale as soon as its transaction commits, whichever route did the writing. Other processes (a
model run from the command line, another web worker) are covered by the caches' short lifetime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from qingfeng.store.models import Case, Warning

_FLAG = "qingfeng.figures_changed"
WATCHED: tuple[type, ...] = (Warning, Case)


def _touches_figures(session: Session) -> bool:
    return any(
        isinstance(obj, WATCHED)
        for objs in (session.new, session.dirty, session.deleted)
        for obj in objs
    )


def on_figures_changed(
    sessions: sessionmaker[Session], callbacks: Iterable[Callable[[], Any]]
) -> None:
    """Run every callback after a commit, through a session of `sessions`, that wrote a
    warning or a case (bulk UPDATE statements on them count too)."""
    todo = tuple(callbacks)

    @event.listens_for(sessions, "before_flush")
    def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        if _touches_figures(session):
            session.info[_FLAG] = True

    @event.listens_for(sessions, "do_orm_execute")
    def _bulk(state: Any) -> None:
        if (state.is_update or state.is_delete or state.is_insert) and any(
            m.class_ in WATCHED for m in state.all_mappers
        ):
            state.session.info[_FLAG] = True

    @event.listens_for(sessions, "after_commit")
    def _after_commit(session: Session) -> None:
        if session.info.pop(_FLAG, False):
            for callback in todo:
                callback()

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_FLAG, None)
