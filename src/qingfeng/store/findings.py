"""The findings a workflow store holds, as (model, subject, period): what `qingfeng model score`
and the drill compare with a truth file (qingfeng.model_library.evaluate.score)."""

from __future__ import annotations

from sqlalchemy import exists, select, union_all

from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Warning, WarningLine


def store_warnings(database_url: str, *, present_only: bool = True) -> list[tuple[str, str, str]]:
    """(model_id, subject_id, period) of the findings in a workflow store: the evidence lines of
    its leads (one per hit: subject and period; a lead of one line is its own line)."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            stored = select(Warning.model_id, Warning.subject_id, WarningLine.period).join(
                WarningLine, WarningLine.warning_id == Warning.id
            )
            single = select(Warning.model_id, Warning.subject_id, Warning.period).where(
                ~exists().where(WarningLine.warning_id == Warning.id)
            )
            if present_only:
                stored = stored.where(WarningLine.present.is_(True))
                single = single.where(Warning.present.is_(True))
            query = union_all(stored, single)
            return [(m, s, p) for m, s, p in session.execute(query)]
    finally:
        engine.dispose()
