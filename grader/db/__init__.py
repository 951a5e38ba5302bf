"""Database models and sessions of the grading service."""

from grader.auth import Role
from grader.db.models import (
    ApiToken,
    Base,
    Exercise,
    Grading,
    Status,
    Submission,
    TestResult,
    User,
    WebhookDelivery,
    utcnow,
)
from grader.db.session import Database

__all__ = [
    "ApiToken",
    "Base",
    "Database",
    "Exercise",
    "Grading",
    "Role",
    "Status",
    "Submission",
    "TestResult",
    "User",
    "WebhookDelivery",
    "utcnow",
]
