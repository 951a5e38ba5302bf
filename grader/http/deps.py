"""What both HTTP edges (grader.api and grader.web) take from the request.

- The process's Services bundle (grader.services.wiring), as a FastAPI
  dependency: grader.app.create_app puts it on `app.state` once, built from
  settings or handed in (tests pass their own database or queue).
- The app's one login throttle: the API's token route and the sign-in page
  count failures together, so neither is a way around the other.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from grader.auth import LoginThrottle
from grader.services.wiring import Services

_create_lock = threading.Lock()


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def login_throttle(request: Request) -> LoginThrottle:
    """The app's one throttle (for the API's tokens and the sign-in page): one
    per app, so its in-process fallback counts outlive a request."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        with _create_lock:
            throttle = getattr(request.app.state, "login_throttle", None)
            if throttle is None:
                services = get_services(request)
                throttle = LoginThrottle.from_settings(services.redis, services.settings)
                request.app.state.login_throttle = throttle
    return throttle
