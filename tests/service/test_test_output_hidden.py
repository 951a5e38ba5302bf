"""Each test's `author_output` (report version 3) never reaches a student.

It holds what student code printed during a test, hidden tests' inputs
included, and what the test printed itself. It is stored with the test's
row and shown to authors and admins (API, page); a student's view, page,
events and listing never hold it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from grader.services.wiring import Services
from grader_harness.report import Outcome, Report, TestResult, Visibility, build_report
from tests.helpers.service_fakes import Account
from tests.service.test_output_policy_api import graded as graded_with
from tests.service.test_output_policy_api import page_as

URL = "/api/v1/submissions"
SECRET = "HIDDEN-TEST-INPUT-31337"


def report_with_test_output(*, pack: Any, files: dict[str, str], settings: Any = None) -> Report:
    tests = [
        TestResult(id=f"tests/test_hello.py::test_{kind}", name=f"test_{kind}",
                   outcome=Outcome.FAILED, points=0, max_points=1, duration=0.01,
                   visibility=visibility, author_output=f"echo: {SECRET}\n--- printed by "
                   f"the test itself ---\nsent {SECRET}\n")
        for kind, visibility in (("hidden", Visibility.HIDDEN), ("public", Visibility.PUBLIC))
    ]
    return build_report(tests, output="started\n", author_output="started\n")


def test_a_students_api_and_page_never_hold_a_tests_output(
    client: TestClient, services: Services, alice: Account
) -> None:
    sub_id = graded_with(client, services, alice, report_with_test_output)
    one = client.get(f"{URL}/{sub_id}", headers=alice.headers)
    listed = client.get(URL, headers=alice.headers)
    events = client.get(f"{URL}/{sub_id}/events", headers=alice.headers)
    assert one.status_code == listed.status_code == events.status_code == 200
    tests = one.json()["tests"]
    assert [t["name"] for t in tests] == ["test_hidden", "test_public"]  # the tests are there
    assert all(t["author_output"] is None for t in tests)
    for response in (one, listed, events):
        assert SECRET not in response.text
    assert SECRET not in page_as(client, alice, sub_id)


def test_authors_get_it_on_the_api_and_the_page(
    client: TestClient, services: Services, alice: Account, author: Account
) -> None:
    sub_id = graded_with(client, services, alice, report_with_test_output)
    body = client.get(f"{URL}/{sub_id}", headers=author.headers).json()
    assert body["author_output"] == "started\n"  # the run's author copy is there
    by_name = {t["name"]: t["author_output"] for t in body["tests"]}
    assert by_name["test_hidden"] == (f"echo: {SECRET}\n--- printed by the test itself ---\n"
                                      f"sent {SECRET}\n")
    page = page_as(client, author, sub_id)
    assert "Printed during the test (authors only)" in page and f"sent {SECRET}" in page
