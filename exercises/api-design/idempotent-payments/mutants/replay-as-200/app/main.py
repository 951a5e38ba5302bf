"""Reference solution for idempotent-payments.

Each Idempotency-Key is remembered with a fingerprint of the request's JSON
payload and, once the payment is made, the response that was sent. The key
is claimed *before* the provider is called (no await between the look-up and
the claim), so concurrent retries cannot both charge: they get 409 while the
first request is in flight, and the stored response afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.provider import charge

app = FastAPI(title="Payments")

PROBLEM_JSON = "application/problem+json"
MAX_KEY_LENGTH = 255


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    amount: int = Field(ge=1, le=1_000_000)
    currency: Literal["EUR", "USD", "GBP"]
    description: str | None = Field(default=None, max_length=200)


@dataclass
class Remembered:
    fingerprint: str
    # None while the first request is still being processed.
    status: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


payments: dict[str, dict[str, Any]] = {}
keys: dict[str, Remembered] = {}
_next_id = 1


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    listed = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        listed.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return problem(422, "Unprocessable Content", "The payment is not valid.", errors=listed)


@app.exception_handler(RequestValidationError)
async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    return validation_problem(list(exc.errors()))


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def fingerprint(payload: Any) -> str:
    """The payload's identity: parsed JSON, so key order and spacing do not count."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@app.post("/payments")
async def create_payment(request: Request) -> JSONResponse:
    key = request.headers.get("idempotency-key")
    if key is None or not key.strip() or len(key) > MAX_KEY_LENGTH:
        return problem(
            400,
            "Idempotency-Key is missing",
            "POST /payments needs an Idempotency-Key header (1 to 255 characters).",
        )
    try:
        payload = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return problem(
            422,
            "Unprocessable Content",
            "The body is not valid JSON.",
            errors=[{"field": "body", "message": "not valid JSON"}],
        )
    try:
        payment = PaymentIn.model_validate(payload)
    except ValidationError as exc:
        # Not remembered: the key stays free for a corrected request.
        return validation_problem(list(exc.errors()))

    fp = fingerprint(payload)
    seen = keys.get(key)
    if seen is not None:
        if seen.fingerprint != fp:
            return problem(
                422,
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different payload.",
            )
        if seen.status is None:
            return problem(
                409,
                "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry later.",
            )
        return JSONResponse(payments[seen.body["id"]], status_code=200)

    # Claim the key before the first await: a concurrent retry now sees it.
    remembered = Remembered(fingerprint=fp)
    keys[key] = remembered
    try:
        outcome = await charge(payment.amount, payment.currency)
    except BaseException:
        del keys[key]  # nothing was charged: let the client retry with the same key
        raise

    global _next_id
    payment_id = f"pay_{_next_id}"
    _next_id += 1
    stored = {"id": payment_id, **payment.model_dump(), "status": outcome}
    payments[payment_id] = stored
    remembered.status = 201
    remembered.body = stored
    remembered.headers = {"Location": f"/payments/{payment_id}"}
    return JSONResponse(stored, status_code=201, headers=remembered.headers)


@app.get("/payments")
async def list_payments() -> dict[str, Any]:
    return {"items": list(payments.values())}


@app.get("/payments/{payment_id}")
async def get_payment(payment_id: str) -> dict[str, Any]:
    if payment_id not in payments:
        raise StarletteHTTPException(404, "Not Found")
    return payments[payment_id]
