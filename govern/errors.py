"""Domain errors raised by services. Views turn them into 4xx JSON with the sentence intact.

Services never raise HTTP or DRF exceptions; these carry the status a client should see.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message, *, field: str | None = None, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    """400: the request itself is wrong (names the field)."""


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """409: the request is valid but the current state does not allow it (illegal transition, race lost)."""

    status_code = 409
    code = "conflict"


class Unprocessable(DomainError):
    """422: valid and well-formed, but a business rule refuses it (not enough points...)."""

    status_code = 422
    code = "unprocessable"
