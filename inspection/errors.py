"""A small exception family with HTTP meaning, mapped to responses in one place.

Messages are in Chinese, the users' language, and say what was expected, what
arrived and where.
"""

from __future__ import annotations


class XunchaError(Exception):
    """Base of every error Xuncha reports to a user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(XunchaError):
    status_code = 422


class NotFoundError(XunchaError):
    status_code = 404


class ForbiddenError(XunchaError):
    status_code = 403


class ConflictError(XunchaError):
    status_code = 409


class PayloadTooLargeError(XunchaError):
    status_code = 413


class UnsupportedMediaError(XunchaError):
    status_code = 415
