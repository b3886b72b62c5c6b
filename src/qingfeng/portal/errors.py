"""Errors of the portal's services; each message says what is wrong in words a user can act on."""

from __future__ import annotations


class PortalError(ValueError):
    """Bad input or a forbidden step; `field` names the offending field when there is one."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(PortalError):
    status_code = 404


class Forbidden(PortalError):
    status_code = 403


class Conflict(PortalError):
    status_code = 409
