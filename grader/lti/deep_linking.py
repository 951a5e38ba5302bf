"""Deep linking: an instructor's LtiDeepLinkingRequest opens a picker of the
course's assignments; the picked ones go back to the platform as a signed
LtiDeepLinkingResponse of ltiResourceLink items, each with a line item
(scoreMaximum 100) and the custom parameter that names its assignment.

Between the launch and the picker's POST nothing is kept on the server: the
launch's deep-linking settings travel in the form, signed with a key derived
from the server secret, bound to the instructor and short-lived.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from grader.db import Assignment, Course, Database, LtiPlatform
from grader.lti.keys import ToolKey
from grader.lti.launch import DEEP_LINKING, ValidLaunch
from grader.lti.provision import CUSTOM_ASSIGNMENT
from grader.lti.tool_config import registration
from grader.services.errors import Forbidden, Invalid

SALT = "grader.lti.deep_link"
MAX_AGE = 3600  # an instructor may take a while to choose


@dataclass(frozen=True)
class DeepLinkAnswer:
    return_url: str
    jwt: str
    chosen: list[str]


def _serializer(secret: bytes) -> URLSafeTimedSerializer:
    key = hmac.new(secret, SALT.encode(), hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt=SALT)


def picker_token(*, secret: bytes, launch: ValidLaunch, user_id: int, course_id: int) -> str:
    settings = launch.claim(DEEP_LINKING)
    if not isinstance(settings.get("deep_link_return_url"), str):
        raise Invalid("this deep-linking request has no return URL")
    return str(_serializer(secret).dumps({
        "platform": launch.platform.id, "deployment": launch.deployment_id,
        "settings": settings, "user": user_id, "course": course_id,
    }))


def course_assignments(*, db: Database, course_id: int) -> list[Assignment]:
    with db.reading() as session:
        return list(session.scalars(select(Assignment).where(
            Assignment.course_id == course_id).order_by(Assignment.due_at, Assignment.slug)))


def respond(*, db: Database, key: ToolKey, secret: bytes, token: str, user_id: int,
            slugs: list[str], launch_url: str) -> DeepLinkAnswer:
    try:
        data: dict[str, Any] = _serializer(secret).loads(token, max_age=MAX_AGE)
    except BadSignature:
        raise Invalid("this choice has expired or was altered: start again from the LMS"
                      ) from None
    if data.get("user") != user_id:
        raise Forbidden("this choice was started by another user")
    with db.reading() as session:
        platform = session.get(LtiPlatform, data["platform"])
        course = session.get(Course, data["course"])
        if platform is None or course is None:
            raise Invalid("the platform or the course of this choice is gone")
        picked = list(session.scalars(select(Assignment).where(
            Assignment.course_id == course.id, Assignment.slug.in_(slugs))
            .order_by(Assignment.due_at, Assignment.slug)))
    if not picked:
        raise Invalid("choose at least one assignment")
    items = [_item(a, course, launch_url) for a in picked]
    link = DeepLink(registration(platform, key), data["deployment"], data["settings"])
    return DeepLinkAnswer(return_url=data["settings"]["deep_link_return_url"],
                          jwt=link.get_response_jwt(items), chosen=[a.slug for a in picked])


def _item(assignment: Assignment, course: Course, launch_url: str) -> DeepLinkResource:
    line = (LineItem().set_score_maximum(100).set_label(assignment.title)
            .set_resource_id(f"{course.slug}/{assignment.slug}"))
    return (DeepLinkResource().set_url(launch_url).set_title(assignment.title)
            .set_custom_params({CUSTOM_ASSIGNMENT: assignment.slug}).set_lineitem(line))
