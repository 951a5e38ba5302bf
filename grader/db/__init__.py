"""Database models and sessions of the grading service."""

from grader.auth import Role
from grader.db.courses import (
    Assignment,
    AssignmentExercise,
    Course,
    CourseMember,
    Extension,
)
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
    "Assignment",
    "AssignmentExercise",
    "Base",
    "Course",
    "CourseMember",
    "Database",
    "Exercise",
    "Extension",
    "Grading",
    "Role",
    "Submission",
    "SubmissionStatus",
    "TestResultRow",
    "User",
    "WebhookDelivery",
    "utcnow",
]
