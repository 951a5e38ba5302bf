"""Database models and sessions of the grading service."""

from grader.auth import Role
from grader.db.courses import (
    Assignment,
    AssignmentExercise,
    Course,
    CourseMember,
    Extension,
)
from grader.db.lti import (
    LtiContext,
    LtiDeployment,
    LtiIdentity,
    LtiLineItem,
    LtiNonce,
    LtiPassback,
    LtiPlatform,
    LtiResourceLink,
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
from grader.db.publishing import ActiveExercise as ActiveExercise  # registers the tables
from grader.db.publishing import ExerciseOwner as ExerciseOwner
from grader.db.publishing import ExerciseVersion as ExerciseVersion
from grader.db.regrade_previews import ProvingRetry as ProvingRetry  # registers the tables
from grader.db.regrade_previews import RegradePreview as RegradePreview
from grader.db.regrade_previews import RegradePreviewItem as RegradePreviewItem
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
    "LtiContext",
    "LtiDeployment",
    "LtiIdentity",
    "LtiLineItem",
    "LtiNonce",
    "LtiPassback",
    "LtiPlatform",
    "LtiResourceLink",
    "Role",
    "Submission",
    "SubmissionStatus",
    "TestResultRow",
    "User",
    "WebhookDelivery",
    "utcnow",
]
