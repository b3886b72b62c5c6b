"""Errors of the closed loop. Each maps to one HTTP status in the API."""

from __future__ import annotations


class LoopError(Exception):
    """Base class; `code` is a stable machine-readable name, the message is for people."""

    code = "loop_error"
    http_status = 400


class NotFound(LoopError):
    """The warning does not exist or is outside the user's scope (the two are not told apart)."""

    code = "not_found"
    http_status = 404


class PermissionDenied(LoopError):
    code = "forbidden"
    http_status = 403


class TransitionNotAllowed(LoopError):
    """The action is not allowed from the warning's current state."""

    code = "transition_not_allowed"
    http_status = 409


class Conflict(LoopError):
    """Someone else changed the warning first; reload and try again. Nothing was written."""

    code = "conflict"
    http_status = 409


class InvalidInput(LoopError):
    """The request lacks something the action needs, or has a bad value (field named)."""

    code = "invalid"
    http_status = 422
