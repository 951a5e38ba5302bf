"""The platform's services, called as the tool: an access token bought with a
client assertion signed by our key (pylti1p3's ServiceConnector), then AGS
scores and NRPS memberships. Every failure becomes PlatformError with a
one-line reason (HTTP status and the start of the body), for the passback
rows and the roster page; requests get a timeout (the library sets none)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector

from grader.db import LtiPlatform
from grader.lti.keys import ToolKey
from grader.lti.tool_config import registration

TIMEOUT = 10.0


class PlatformError(Exception):
    """The platform refused or did not answer; the message says which."""


class _TimedSession(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


def _connector(platform: LtiPlatform, key: ToolKey) -> ServiceConnector:
    session = _TimedSession()
    session.headers["User-Agent"] = REQUESTS_USER_AGENT
    return ServiceConnector(registration(platform, key), session)


def _reason(exc: Exception) -> str:
    if isinstance(exc, LtiServiceException):
        return str(exc)[:300]  # "HTTP response [url]: status - body"
    return f"{type(exc).__name__}: {exc}"[:300]


def post_score(*, platform: LtiPlatform, key: ToolKey, lineitem_url: str, scopes: list[str],
               sub: str, percent: float, at: datetime) -> None:
    grade = (Grade().set_score_given(round(percent, 2)).set_score_maximum(100)
             .set_activity_progress("Completed").set_grading_progress("FullyGraded")
             .set_timestamp(at.isoformat(timespec="milliseconds")).set_user_id(sub))
    data: Any = {"scope": scopes, "lineitem": lineitem_url}  # the library's TypedDict
    service = AssignmentsGradesService(_connector(platform, key), data)
    try:
        service.put_grade(grade)
    except (LtiException, requests.RequestException, ValueError, KeyError) as exc:
        raise PlatformError(_reason(exc)) from None


def members(*, platform: LtiPlatform, key: ToolKey, memberships_url: str
            ) -> list[dict[str, Any]]:
    service = NamesRolesProvisioningService(
        _connector(platform, key), {"context_memberships_url": memberships_url})
    try:
        return [dict(m) for m in service.get_members()]
    except (LtiException, requests.RequestException, ValueError, KeyError) as exc:
        raise PlatformError(_reason(exc)) from None
