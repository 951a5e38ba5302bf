"""Database models and sessions of the grading service."""

from grader.auth import Role
from grader.db.models import (
    ApiToken,
    Base,
    Exercise,
    Grading,
    Submission,
    SubmissionStatus,
    TestResultRow,
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
    "Submission",
    "SubmissionStatus",
    "TestResultRow",
    "User",
    "WebhookDelivery",
    "utcnow",
]
