"""Parameter values as syntax-tree literals: the compiler and the match builder bind values into
the tree this way, never by formatting them into SQL text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlglot import exp


def literal(value: Any) -> exp.Expr:
    """A parameter value as a syntax-tree literal (never formatted into SQL text)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Decimal):
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"cannot bind a parameter of type {type(value).__name__}")
