"""OIDC login initiation and the launch, validated by pylti1p3: the id token's
signature against the platform's JWKS, iss and aud (the registered platform
and client id), exp, the deployment id, the message's own rules, the state
cookie and the nonce (once: adapters.NonceSession). Every refusal is an
errors.Unauthorized (or Invalid for a malformed login) with the library's
reason, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pylti1p3.exception import LtiException, OIDCException

from grader.db import Database, LtiPlatform
from grader.lti.adapters import Cookies, Launch, Login, LtiRequest, NonceSession, SetCookie
from grader.lti.keys import ToolKey
from grader.lti.tool_config import DbToolConf
from grader.services.errors import Invalid, Unauthorized

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DEPLOYMENT = CLAIM + "deployment_id"
MESSAGE_TYPE = CLAIM + "message_type"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


@dataclass(frozen=True)
class LoginAnswer:
    location: str  # the platform's authorization URL, with state and nonce
    cookies: list[SetCookie]


@dataclass(frozen=True)
class ValidLaunch:
    platform: LtiPlatform
    claims: dict[str, Any]

    @property
    def deployment_id(self) -> str:
        return str(self.claims[DEPLOYMENT])

    @property
    def deep_linking(self) -> bool:
        return self.claims.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest"

    def claim(self, name: str) -> dict[str, Any]:
        value = self.claims.get(name)
        return value if isinstance(value, dict) else {}


def login(*, db: Database, key: ToolKey, params: dict[str, str], cookies: dict[str, str],
          secure: bool, launch_url: str) -> LoginAnswer:
    request = LtiRequest(params, cookies, secure=secure)
    cookie_service = Cookies(request)
    oidc = Login(request, DbToolConf(db, key), NonceSession(db), cookie_service)
    # One launch URL for every message: target_link_uri is not followed, so a
    # login can never send the browser anywhere but back to us.
    try:
        location = oidc.disable_check_cookies().redirect(launch_url)
    except (OIDCException, LtiException) as exc:
        raise Invalid(f"LTI login refused: {exc}") from None
    return LoginAnswer(location=location, cookies=cookie_service.to_set)


def validate(*, db: Database, key: ToolKey, params: dict[str, str], cookies: dict[str, str],
             secure: bool) -> ValidLaunch:
    request = LtiRequest(params, cookies, secure=secure)
    config = DbToolConf(db, key)
    message = Launch(request, config, session_service=NonceSession(db),
                     cookie_service=Cookies(request))
    try:
        claims = dict(message.validate().get_launch_data())
    except (LtiException, AssertionError) as exc:
        raise Unauthorized(f"LTI launch refused: {exc}") from None
    except Exception as exc:  # a platform JWKS that is not what it should be, and the like
        raise Unauthorized(f"LTI launch refused: {type(exc).__name__}") from None
    if config.platform is None:  # validate() found one, or it raised
        raise Unauthorized("LTI launch refused: unknown platform")
    return ValidLaunch(platform=config.platform, claims=claims)
