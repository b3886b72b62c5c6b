"""Small reads the pages need beside their main query: names by id or code, the areas below a
unit, recent model runs, a warning's comments, the portal's places and publications. Pages call
these; they hold no SQL of their own (docs/architecture.md, tests/test_architecture.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingfeng.portal import staff
from qingfeng.portal.models import Complaint, PortalDivision, Publication
from qingfeng.portal.publishing import StaffUser
from qingfeng.store.models import Comment, ModelRun, Organisation, User


def child_areas(session: Session, org_id: int | None) -> list[tuple[str, str]]:
    """(division prefix, name) of the areas one level below unit `org_id` (or the unit)."""
    if org_id is None:
        return []
    rows = session.execute(
        select(Organisation.division_code, Organisation.name)
        .where(
            Organisation.parent_id == org_id,
            Organisation.division_code.is_not(None),
        )
        .order_by(Organisation.division_code)
    ).all()
    if rows:
        return [(code, name) for code, name in rows if code]
    own = session.get(Organisation, org_id)
    return [(own.division_code, own.name)] if own and own.division_code else []


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """User id → display name."""
    return dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(set(ids)))).all()
    )


def org_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Organisation id → name."""
    return dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(ids)))
        ).all()
    )


def place_names(session: Session, where: Any = None) -> dict[str, str]:
    """Division code → name from the portal's registry of townships and villages; `where`: a
    condition on the code column (the caller's area filter), or every place."""
    query = select(PortalDivision.code, PortalDivision.name)
    if where is not None:
        query = query.where(where(PortalDivision.code))
    return dict(session.execute(query).all())


def places(session: Session) -> list[PortalDivision]:
    """Every place of the portal's registry, by code."""
    return list(session.scalars(select(PortalDivision).order_by(PortalDivision.code)))


def recent_publications(session: Session, limit: int) -> list[Publication]:
    """The newest publications first."""
    return list(session.scalars(select(Publication).order_by(Publication.id.desc()).limit(limit)))


def recent_runs(session: Session, limit: int, model_id: str | None = None) -> list[ModelRun]:
    """The newest model runs first, of one model or of all."""
    query = select(ModelRun)
    if model_id is not None:
        query = query.where(ModelRun.model_id == model_id)
    return list(session.scalars(query.order_by(ModelRun.id.desc()).limit(limit)))


def comments_with_authors(session: Session, warning_id: int) -> list[tuple[Comment, str]]:
    """A warning's comments in order, each with its author's display name ("—" if none)."""
    rows = session.execute(
        select(Comment, User.display_name)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.warning_id == warning_id)
        .order_by(Comment.id)
    ).all()
    return [(n, name or "—") for n, name in rows]


def newest_complaints(session: Session, who: StaffUser, limit: int) -> list[Complaint]:
    """The complaints `who` may see (qingfeng.portal.staff), newest first."""
    return list(
        session.scalars(
            staff.visible_complaints(session, who)
            .order_by(Complaint.created_at.desc(), Complaint.id.desc())
            .limit(limit)
        )
    )
