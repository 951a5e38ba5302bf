"""Webhooks: when a submission is final, POST its result to its callback_url.

The body is the same JSON as GET /submissions/{id} (without the history),
signed with HMAC-SHA256 under the server's secret key:

    X-Grader-Signature: sha256=<hex of HMAC(secret, raw body)>

Receivers must compute the HMAC over the raw bytes and compare in constant
time. Every attempt is stored in webhook_deliveries (status code or error).

The target is checked again here, not only at submit time (callback_policy):
the host is resolved once, every address must be allowed, and the request
goes to that address (Host header and TLS name are the URL's), so a name that
resolves elsewhere by now (DNS rebinding) reaches nothing. No proxy from the
environment, no redirects.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from grader.db import Database, Submission, SubmissionStatus, WebhookDelivery
from grader.services import callback_policy
from grader.services.callback_policy import CallbackPolicy, CallbackRefused, Resolver, Unresolvable
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
    # No attempt should follow: nothing to deliver (no callback, not final),
    # or the policy refused the target (then recorded, with `refused`).
    skipped: bool = False
    refused: bool = False


def deliver(*, db: Database, submission_id: str, secret: bytes, timeout: float,
            client: httpx.Client | None = None, policy: CallbackPolicy | None = None,
            resolve: Resolver | None = None) -> Delivery:
    """One delivery attempt, recorded. The caller retries on `delivered=False`
    (unless `skipped`). `policy` defaults to the process's settings (the
    worker's: worker/app.py builds them the same way)."""
    with db.session() as session:
        sub = session.get(Submission, submission_id)
        if sub is None or not sub.callback_url or not SubmissionStatus(sub.status).final:
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
    if policy is None:
        from grader.settings import get_settings

        policy = callback_policy.policy_from_settings(get_settings())
    status_code: int | None = None
    error: str | None = None
    refused = False
    try:
        target = callback_policy.check(url, policy=policy, resolve=resolve)
        status_code = _post(target, url, body, headers, timeout, client)
        delivered = 200 <= status_code < 300
        if not delivered:
            error = f"receiver answered {status_code}"
    except Unresolvable as exc:  # DNS may answer on a retry
        delivered, error = False, exc.message
    except CallbackRefused as exc:
        delivered, refused, error = False, True, exc.message
    except httpx.HTTPError as exc:
        delivered = False
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with db.session() as session:
        session.add(WebhookDelivery(
            submission_id=submission_id, grading_id=grading_id, url=url, attempt=attempt,
            status_code=status_code, error=error, delivered=delivered,
        ))
    return Delivery(delivered=delivered, attempt=attempt, status_code=status_code, error=error,
                    skipped=refused, refused=refused)


def _post(target: callback_policy.Target, url: str, body: bytes, headers: dict[str, str],
          timeout: float, client: httpx.Client | None) -> int:
    """POST to the checked addresses in turn (the next one only when connecting
    fails); the receiver's answer body is never read."""
    parsed = httpx.URL(url)
    headers = {**headers, "Host": parsed.netloc.decode("ascii")}
    # TLS: the certificate is checked against the URL's host name, not the IP.
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    # Never follow redirects (the signature was made for this URL's owner) and
    # never use a proxy from the environment (it would resolve the name itself).
    http = client or httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    addresses = target.addresses[:3]
    try:
        for address in addresses:
            request = http.build_request("POST", parsed.copy_with(host=address), content=body,
                                         headers=headers, extensions=extensions)
            try:
                response = http.send(request, stream=True, follow_redirects=False)
            except httpx.ConnectError:
                if address == addresses[-1]:
                    raise
                continue
            response.close()
            return response.status_code
    finally:
        if client is None:
            http.close()
    raise AssertionError("a checked target has at least one address")
