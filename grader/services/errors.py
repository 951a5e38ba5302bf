"""Domain errors. Services raise these; the HTTP edges (grader.api and
grader.web) answer each with the status of `status_of` below, the same table
for both, and the CLI turns them into messages. Services never use the table."""

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


class Refused(Forbidden):
    """A submission the assignment's rules refuse (not released, closed, no
    attempts left); the message says why and when."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # grader.courses.rules.Refusal's value


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


class UnsupportedMedia(ServiceError):
    """The request body is neither JSON nor multipart."""


HTTP_STATUS: dict[type[ServiceError], int] = {
    Refused: 403, NotFound: 404, Invalid: 422, Conflict: 409, Forbidden: 403, Unauthorized: 401,
    RateLimited: 429, Unavailable: 503, TooLarge: 413, UnsupportedMedia: 415,
}


def status_of(exc: ServiceError) -> int:
    """The HTTP status of a domain error (400 for one the table does not name)."""
    return next((code for cls, code in HTTP_STATUS.items() if isinstance(exc, cls)), 400)
