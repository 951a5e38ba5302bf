"""Webhooks: when a submission is final, POST its result to its callback_url.

The body is the same JSON as GET /submissions/{id} (without the history),
signed with HMAC-SHA256 under the server's secret key:

    X-Grader-Signature: sha256=<hex of HMAC(secret, raw body)>

Receivers must compute the HMAC over the raw bytes and compare in constant
time. Every attempt is stored in webhook_deliveries (status code or error).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from grader.db import Database, Status, Submission, WebhookDelivery
from grader.services.views import submission_view

SIGNATURE_HEADER = "X-Grader-Signature"
EVENT_HEADER = "X-Grader-Event"
DELIVERY_HEADER = "X-Grader-Delivery"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def wanted(*, db: Database, submission_id: str) -> bool:
    """Whether the submission asked for a webhook (saves queueing a no-op task)."""
    with db.reading() as session:
        url = session.scalar(select(Submission.callback_url).where(Submission.id == submission_id))
    return bool(url)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempt: int
    status_code: int | None = None
    error: str | None = None
    skipped: bool = False  # nothing to deliver (no callback, not final)


def deliver(*, db: Database, submission_id: str, secret: bytes, timeout: float,
            client: httpx.Client | None = None) -> Delivery:
    """One delivery attempt, recorded. The caller retries on `delivered=False`."""
    with db.session() as session:
        sub = session.get(Submission, submission_id)
        if sub is None or not sub.callback_url or not Status(sub.status).final:
            return Delivery(delivered=False, attempt=0, skipped=True)
        grading_id = sub.current_grading_id
        url = sub.callback_url
        attempt = 1 + int(session.scalar(
            select(func.count()).select_from(WebhookDelivery)
            .where(WebhookDelivery.submission_id == sub.id,
                   WebhookDelivery.grading_id == grading_id)
        ) or 0)
        body = json.dumps(
            submission_view(sub).model_dump(mode="json", exclude={"history"}), sort_keys=True
        ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: f"submission.{sub.status}",
        DELIVERY_HEADER: f"{submission_id}:{grading_id}",
        "User-Agent": "grader-webhook/1",
    }
    status_code: int | None = None
    error: str | None = None
    try:
        # Never follow redirects: the signature was made for this URL's owner.
        http = client or httpx.Client(timeout=timeout, follow_redirects=False)
        try:
            response = http.post(url, content=body, headers=headers)
        finally:
            if client is None:
                http.close()
        status_code = response.status_code
        delivered = 200 <= status_code < 300
        if not delivered:
            error = f"receiver answered {status_code}"
    except httpx.HTTPError as exc:
        delivered = False
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with db.session() as session:
        session.add(WebhookDelivery(
            submission_id=submission_id, grading_id=grading_id, url=url, attempt=attempt,
            status_code=status_code, error=error, delivered=delivered,
        ))
    return Delivery(delivered=delivered, attempt=attempt, status_code=status_code, error=error)
