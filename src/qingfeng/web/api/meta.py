"""Who am I, which units can I dispatch to, what are the states and transitions."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from qingfeng.loop.machine import TRANSITIONS
from qingfeng.store.models import Organisation
from qingfeng.web.api.deps import DbDep, UserDep
from qingfeng.web.api.schemas import MeOut, OrganisationOut, TransitionOut

router = APIRouter(tags=["meta"])


def _org(o: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=o.id, name=o.name, kind=o.kind, division_code=o.division_code, parent_id=o.parent_id
    )


@router.get("/me", response_model=MeOut, summary="The signed-in user")
def me(user: UserDep, db: DbDep) -> MeOut:
    org = db.get(Organisation, user.org_id) if user.org_id else None
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org=_org(org) if org else None,
    )


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    summary="The user's organisation and every unit below it",
)
def organisations(user: UserDep, db: DbDep) -> list[OrganisationOut]:
    home = db.get(Organisation, user.org_id) if user.org_id else None
    if home is None:
        return []
    rows = db.scalars(
        select(Organisation)
        .where(Organisation.path.startswith(home.path))
        .order_by(Organisation.path)
    )
    return [_org(o) for o in rows]


@router.get("/transitions", response_model=list[TransitionOut], summary="The state machine")
def transitions() -> list[TransitionOut]:
    return [
        TransitionOut(
            action=t.action,
            label=t.label,
            sources=sorted(t.sources),
            target=t.target,
            roles=sorted(t.roles),
            requires=list(t.requires),
        )
        for t in TRANSITIONS.values()
    ]
