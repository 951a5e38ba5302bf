"""The browser session: a signed cookie (itsdangerous, keyed by the server's
secret key) holding the user id, the user's session version and a
per-session CSRF token.

The cookie alone cannot be taken back, so it carries the user's
`session_version` as it was at sign-in: raising the number in the database
(sign out everywhere, a role or password change) makes every cookie issued
before it worthless, and the next request with one is signed out.

The cookie is HttpOnly and SameSite=Lax (Secure in production); it expires
after MAX_AGE. Every POST must carry the session's CSRF token in the form
field `csrf_token`; the token is compared in constant time. A new token is
issued at sign-in, so a token seen before sign-in is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from grader.db import User
from grader.http.deps import ServicesDep
from grader.services import admin, config
from grader.services.submissions import sees_all
from grader.services.wiring import Services

COOKIE = "grader_session"
MAX_AGE = 12 * 3600
SALT = "grader.web.session"


@dataclass
class WebSession:
    csrf: str
    user_id: int | None = None
    version: int = 0  # the user's session_version when this session began
    fresh: bool = False  # not yet in a cookie: the response must set it

    def dump(self) -> dict[str, Any]:
        return {"csrf": self.csrf, "uid": self.user_id, "sv": self.version}


def _serializer(services: Services) -> URLSafeTimedSerializer:
    return _serializer_for(config.secret_key(services.settings))


@lru_cache(maxsize=4)
def _serializer_for(secret: bytes) -> URLSafeTimedSerializer:
    # A key of its own, derived from the server secret (webhooks use the secret as is).
    key = hmac.new(secret, SALT.encode(), hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt=SALT)


def new_session(user_id: int | None = None, version: int = 0) -> WebSession:
    return WebSession(csrf=secrets.token_urlsafe(32), user_id=user_id, version=version,
                      fresh=True)


def begin(request: Request, user: User) -> None:
    """A fresh session (new CSRF token) for this user, at their current version."""
    request.state.web_session = new_session(user.id, user.session_version)


def load(request: Request, services: Services) -> WebSession:
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(services).loads(raw, max_age=MAX_AGE)
            uid, version = data.get("uid"), data.get("sv", 0)
            return WebSession(csrf=str(data["csrf"]),
                              user_id=uid if isinstance(uid, int) else None,
                              version=version if isinstance(version, int) else -1)
        except (BadSignature, KeyError, TypeError, AttributeError):
            pass
    return new_session()


def store(response: Response, services: Services, session: WebSession) -> None:
    response.set_cookie(
        COOKIE, _serializer(services).dumps(session.dump()), max_age=MAX_AGE, path="/",
        httponly=True, samesite="lax", secure=services.settings.environment == "production",
    )


def clear(response: Response, services: Services) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                           secure=services.settings.environment == "production")


def get_session(request: Request, services: ServicesDep) -> WebSession:
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is None:
        cached = load(request, services)
        request.state.web_session = cached
    return cached


SessionDep = Annotated[WebSession, Depends(get_session)]


def optional_user(request: Request, services: ServicesDep, session: SessionDep) -> User | None:
    if session.user_id is None:
        return None
    user = admin.get_user_by_id(db=services.db, user_id=session.user_id)
    if user is None or user.session_version != session.version:
        # Ended from the server (or the user is gone): replace the cookie with
        # a signed-out one, so the browser stops sending the dead session.
        request.state.web_session = new_session()
        return None
    request.state.web_user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


class SignInRequired(Exception):
    """No signed-in user: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def signed_in(request: Request, user: OptionalUser) -> User:
    if user is None:
        raise SignInRequired(request.url.path)
    return user


WebUser = Annotated[User, Depends(signed_in)]


def author(user: WebUser) -> User:
    if not sees_all(user):
        raise HTTPException(403, "This page is for course authors and admins.")
    return user


AuthorUser = Annotated[User, Depends(author)]


def administrator(user: WebUser) -> User:
    if user.role != "admin":
        raise HTTPException(403, "This page is for admins.")
    return user


AdminUser = Annotated[User, Depends(administrator)]


def check_csrf(session: SessionDep, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form POST: the session's token must come back in the form."""
    if session.fresh or not csrf_token or not hmac.compare_digest(
            csrf_token.encode(), session.csrf.encode()):
        raise HTTPException(
            403, "This form could not be accepted: its security token is missing or out "
                 "of date. Go back, reload the page and send it again.")


Csrf = Depends(check_csrf)
