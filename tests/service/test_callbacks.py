"""callback_url end to end in the service: who may set one (authors and
admins), the address policy at submit time (422 naming the reason), and at
delivery time on the address actually connected to (a name that resolved to
a public address when submitted and to loopback now reaches nothing).

No test sends traffic beyond loopback: names are resolved by a table, and
requests to public addresses go to an httpx MockTransport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from grader.db import Submission, SubmissionStatus, WebhookDelivery
from grader.services import callback_policy, webhooks
from grader.services.callback_policy import CallbackPolicy, parse_allowed
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import Receiver

URL = "/api/v1/submissions"
GOOD = {"exercise": "hello-api", "files": {"app/main.py": "print('hi')\n"}}
PUBLIC = "93.184.215.14"
HOOK = "http://hooks.example.com:8080/hook"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The resolver the service uses, replaced by a table we can change."""
    table = {"hooks.example.com": [PUBLIC]}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    monkeypatch.setattr(callback_policy, "system_resolver", resolve)
    return table


def submit(client: TestClient, who: Account, callback: str) -> httpx.Response:
    response: httpx.Response = client.post(URL, json={**GOOD, "callback_url": callback},
                                           headers=who.headers)
    return response


def test_students_cannot_set_a_callback(client: TestClient, alice: Account, dns: object) -> None:
    response = submit(client, alice, HOOK)
    assert response.status_code == 403
    assert "author's or admin's token" in response.json()["detail"]


@pytest.mark.parametrize(("callback", "reason"), [
    ("http://127.0.0.1:6379/", "127.0.0.1 is loopback"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata service"),
    ("http://redis:6379/", "'redis' is a local name"),
    ("http://2130706433/", "disguised form"),
    ("http://[::ffff:127.0.0.1]:8080/", "IPv4-mapped"),
    ("http://evil@127.0.0.1/", "user name or password"),
    ("file:///etc/passwd", "only http and https"),
])
def test_internal_targets_are_refused_at_submit_with_the_reason(
    client: TestClient, author: Account, dns: object, callback: str, reason: str
) -> None:
    response = submit(client, author, callback)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("callback_url refused: ") and reason in detail


def test_a_public_target_and_an_allowed_network_are_accepted(
    client: TestClient, author: Account, services: Services, dns: object
) -> None:
    assert submit(client, author, HOOK).status_code == 202
    assert submit(client, author, "http://127.0.0.1:9999/hook").status_code == 422
    services.settings.callback_allowed_networks = "127.0.0.1/32"
    assert submit(client, author, "http://127.0.0.1:9999/hook").status_code == 202
    multipart = client.post(URL, headers=author.headers,
                            data={"exercise": "hello-api", "callback_url": HOOK},
                            files=[("files", ("app/main.py", b"x = 1\n"))])
    assert multipart.status_code == 202, multipart.text


@pytest.fixture
def final_submission(client: TestClient, author: Account, services: Services,
                     dns: dict[str, list[str]]) -> Callable[..., str]:
    """A submission whose callback passed the check at submit time, now graded."""
    def make(callback: str = HOOK) -> str:
        response = submit(client, author, callback)
        assert response.status_code == 202, response.text
        sub_id = str(response.json()["id"])
        with services.db.session() as session:
            sub = session.get(Submission, sub_id)
            assert sub is not None
            sub.status = SubmissionStatus.GRADED.value
        return sub_id

    return make


def no_connection(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a connection was made to {request.url}")


def deliveries(services: Services) -> list[WebhookDelivery]:
    with services.db.session() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        session.expunge_all()
        return list(rows)


def test_a_name_rebound_to_loopback_after_submit_is_refused_at_delivery(
    final_submission: Callable[..., str], services: Services, dns: dict[str, list[str]]
) -> None:
    sub_id = final_submission()
    dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding
    with httpx.Client(transport=httpx.MockTransport(no_connection)) as client:
        outcome = webhooks.deliver(db=services.db, submission_id=sub_id, secret=b"k" * 32,
                                   timeout=5, client=client, policy=CallbackPolicy())
    assert outcome.refused and outcome.skipped and not outcome.delivered
    [row] = deliveries(services)
    assert not row.delivered and row.status_code is None
    assert row.error and "resolves to 127.0.0.1, which is loopback" in row.error


def test_delivery_connects_to_the_checked_address_with_the_names_host_and_sni(
    final_submission: Callable[..., str], services: Services, dns: dict[str, list[str]]
) -> None:
    sub_id = final_submission("https://hooks.example.com/hook")
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": "http://127.0.0.1:6379/"})

    with httpx.Client(transport=httpx.MockTransport(receiver)) as client:
        outcome = webhooks.deliver(db=services.db, submission_id=sub_id, secret=b"k" * 32,
                                   timeout=5, client=client, policy=CallbackPolicy())
    [request] = seen  # the redirect was not followed
    assert request.url.host == PUBLIC and request.url.scheme == "https"
    assert request.headers["Host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert not outcome.delivered and not outcome.skipped and outcome.status_code == 307


def test_a_real_delivery_over_loopback_when_the_admin_allows_it(
    final_submission: Callable[..., str], services: Services, dns: dict[str, list[str]]
) -> None:
    receiver = Receiver(failures=0)
    try:
        port = receiver.server.server_port
        services.settings.callback_allowed_networks = "127.0.0.1/32"
        sub_id = final_submission(f"http://hooks.example.com:{port}/hook")
        dns["hooks.example.com"] = ["127.0.0.1"]
        networks, _ = parse_allowed("127.0.0.1/32")
        outcome = webhooks.deliver(db=services.db, submission_id=sub_id, secret=b"k" * 32,
                                   timeout=5, policy=CallbackPolicy(networks=networks))
        assert outcome.delivered and outcome.status_code == 204
        [(headers, body)] = receiver.calls
        assert headers["Host"] == f"hooks.example.com:{port}"
        assert webhooks.verify(b"k" * 32, body, headers[webhooks.SIGNATURE_HEADER])
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
