"""Outcomes fed back to the models: per model, how many verified warnings were confirmed
(precision), money recovered, cases opened; a model whose precision stays low is flagged."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select

from qingfeng.loop.machine import SUBSTANTIATED, Actor, require_read
from qingfeng.store.models import Warning
from qingfeng.store.scope import warning_scope_clause

# Findings that count as verified: a "cannot be verified" outcome says nothing about the model.
VERIFIED = ("confirmed", "partly_confirmed", "unfounded")


@dataclass(frozen=True)
class ModelOutcome:
    model_id: str
    warnings: int
    verified: int
    confirmed: int
    funds_recovered: Decimal
    cases_opened: int
    precision: float | None
    flagged: bool  # precision below the threshold over enough verified warnings

    @property
    def review_note(self) -> str:
        if not self.flagged:
            return ""
        return (
            f"准确率 {self.precision:.0%} 偏低，建议复核模型 / "
            f"precision {self.precision:.0%} is low: review the model"
        )


def model_outcomes(actor: Actor) -> list[ModelOutcome]:
    """One row per model with warnings in the user's scope, worst precision first."""
    require_read(actor.user)
    verified = func.sum(case((Warning.finding.in_(VERIFIED), 1), else_=0))
    confirmed = func.sum(case((Warning.finding.in_(SUBSTANTIATED), 1), else_=0))
    stmt = (
        select(
            Warning.model_id,
            func.count(),
            verified,
            confirmed,
            func.coalesce(func.sum(Warning.funds_recovered), 0),
            func.count(func.distinct(Warning.case_id)),
        )
        .where(warning_scope_clause(actor.session, actor.user), Warning.status != "merged")
        .group_by(Warning.model_id)
    )
    threshold = actor.config.low_precision_threshold
    minimum = actor.config.low_precision_min_verified
    out = []
    for model_id, n, v, c, funds, cases in actor.session.execute(stmt):
        v, c = int(v or 0), int(c or 0)
        precision = c / v if v else None
        out.append(
            ModelOutcome(
                model_id=model_id,
                warnings=int(n),
                verified=v,
                confirmed=c,
                funds_recovered=Decimal(funds).quantize(Decimal("0.01")),
                cases_opened=int(cases),
                precision=precision,
                flagged=precision is not None and v >= minimum and precision < threshold,
            )
        )
    return sorted(out, key=lambda o: (o.precision is None, o.precision or 0.0, o.model_id))
