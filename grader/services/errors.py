"""Domain errors. Services raise these; only the API routes turn them into
HTTP statuses (grader/api/errors.py), and the CLI into messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Root; the message is safe to show to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Missing, or not the caller's to see (the two look the same on purpose)."""


class Invalid(ServiceError):
    """The request cannot be accepted as sent (bad files, unknown exercise...)."""


class Conflict(ServiceError):
    """The request contradicts the current state (e.g. regrade while grading)."""


class Forbidden(ServiceError):
    """The caller is known but their role does not allow this."""


class Unauthorized(ServiceError):
    """No valid credentials."""


class RateLimited(ServiceError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """The service cannot take this now (queue full); try again later."""

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(ServiceError):
    """The request is over the server's size cap."""
