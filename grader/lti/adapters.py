"""pylti1p3 on Starlette: the request (the parameters of a query string or a
form, already read), the cookie service, the launch "session" backed by the
database, and the OIDC login and message launch classes built on them.

The state cookie: the launch is a cross-site form POST from the LMS, which a
browser sends SameSite=Lax cookies with only for top-level navigation. Over
https the state cookie is therefore SameSite=None; Secure (it then survives an
iframe too); over plain http (development, tests on 127.0.0.1) browsers refuse
SameSite=None without Secure, so it is Lax there. The library's "cookies
blocked, open in a new window" check is off: our pages refuse to be framed
(frame-ancestors 'none'), so the LMS must open the tool in a new window anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pylti1p3.cookie import CookieService
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from sqlalchemy import delete, update

from grader.db import Database, LtiNonce, utcnow

NONCE_LIFETIME = timedelta(minutes=10)  # login to launch: the user is in the middle of it
STATE_SECONDS = 5 * 60


class LtiRequest(Request):
    def __init__(self, params: dict[str, str], cookies: dict[str, str], *, secure: bool) -> None:
        self.params = params
        self.cookies = cookies
        self.secure = secure

    def is_secure(self) -> bool:
        return self.secure

    def get_param(self, key: str) -> str:
        return self.params.get(key, "")


@dataclass
class SetCookie:
    name: str
    value: str
    max_age: int


@dataclass
class Cookies(CookieService):
    request: LtiRequest
    to_set: list[SetCookie] = field(default_factory=list)

    def _name(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self.request.cookies.get(self._name(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set.append(SetCookie(self._name(name), str(value), exp or STATE_SECONDS))


class NonceSession(SessionService):
    """The library's per-browser session, reduced to what we use: nonces in
    the database, each accepted once and only before it expires. The
    library's "state already validated for this id_token" shortcut (which
    lets a reload replay a launch) is off: every launch needs its state
    cookie and an unused nonce."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save_nonce(self, nonce: str) -> None:
        with self.db.session() as session:
            now = utcnow()
            session.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
            session.add(LtiNonce(nonce=nonce, expires_at=now + NONCE_LIFETIME))

    def check_nonce(self, nonce: str) -> bool:
        # One conditional UPDATE: of two processes racing with the same
        # nonce, exactly one changes the row.
        with self.db.session() as session:
            now = utcnow()
            done = session.execute(update(LtiNonce).where(
                LtiNonce.nonce == nonce, LtiNonce.used_at.is_(None),
                LtiNonce.expires_at > now).values(used_at=now))
            return bool(getattr(done, "rowcount", 0) == 1)

    def save_launch_data(self, key: str, jwt_body: Any) -> None:
        """Not kept: what a later request needs travels signed in its form."""

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        """Off on purpose (see the class)."""

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


class UrlRedirect(Redirect[str]):
    def __init__(self, location: str) -> None:
        self.location = location

    def do_redirect(self) -> str:
        return self.location

    def do_js_redirect(self) -> str:
        return self.location

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class Login(OIDCLogin[LtiRequest, Any, NonceSession, Cookies, str]):
    def get_redirect(self, url: str) -> Redirect[str]:
        return UrlRedirect(url)


class Launch(MessageLaunch[LtiRequest, Any, NonceSession, Cookies]):
    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)
