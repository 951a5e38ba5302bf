"""What both HTTP edges (grader.api and grader.web) take from the request.

- The process's Services bundle (grader.services.wiring), as a FastAPI
  dependency: grader.app.create_app puts it on `app.state` once, built from
  settings or handed in (tests pass their own database or queue).
- The app's one login throttle (made by create_app): the API's token route
  and the sign-in page count failures together, so neither is a way around
  the other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from grader.auth import LoginThrottle
from grader.services.wiring import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _services(request: Request) -> Services:
    # async: FastAPI runs a plain def dependency in the thread pool, a hop
    # that cost every request about as much CPU as its SQL (docs/service.md).
    return get_services(request)


ServicesDep = Annotated[Services, Depends(_services)]


def login_throttle(request: Request) -> LoginThrottle:
    """The app's one throttle (for the API's tokens and the sign-in page), made
    by grader.app.create_app: its in-process fallback counts outlive a request."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle
