"""POST /tokens: a user trades their name and password (HTTP Basic) for a new
API token, shown once. Failures are throttled per (name, client address) like
the sign-in page (grader/auth/throttle.py), so a password cannot be guessed at
speed, yet a guesser cannot lock the owner out (argon2 makes each guess slow too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from grader.http.deps import ServicesDep, login_throttle
from grader.services import accounts
from grader.services.errors import Unauthorized

router = APIRouter(tags=["accounts"])
basic = HTTPBasic(auto_error=False, description="your user name and password")


class TokenOut(BaseModel):
    token: str
    user: str
    role: str


@router.post(
    "/tokens", status_code=201, response_model=TokenOut,
    responses={401: {"description": "wrong name or password"},
               429: {"description": "too many attempts; see Retry-After"}},
)
async def create_token(
    request: Request, services: ServicesDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> TokenOut:
    """A new API token (keep it: it is not shown again)."""
    if credentials is None:
        raise Unauthorized("send your name and password with HTTP Basic authentication")
    user = await run_in_threadpool(
        accounts.sign_in, db=services.db,
        throttle=login_throttle(request),
        name=credentials.username, password=credentials.password,
        address=request.client.host if request.client else None,
    )
    _, token = await run_in_threadpool(accounts.create_token, db=services.db, name=user.name)
    return TokenOut(token=token, user=user.name, role=user.role)
