"""Errors the checklist package raises, all ``ValueError`` subclasses.

Each carries the answer key it failed on (``key``) and a Chinese message that
says what was expected and what arrived, so the service can answer 422 with it
unchanged.
"""

from __future__ import annotations


class ChecklistError(ValueError):
    """A checklist definition or limits file is malformed, or none matches."""


class AnswerError(ValueError):
    """Answers do not fit the checklist: an unknown key or a malformed shape."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class ReadingError(AnswerError):
    """A reading that cannot be real: negative opacity, efficiency over 100 %..."""

    def __init__(self, key: str, expected: str, received: object) -> None:
        super().__init__(key, f"“{key}”应为{expected}，收到 {received!r}")
        self.expected = expected
        self.received = received


class LimitError(ValueError):
    """No limit applies for the standard, region and date asked for."""
