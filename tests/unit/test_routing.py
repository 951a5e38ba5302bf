"""Routing gradings to queues (GRADER_GRADING_ROUTES, grader/services/routing.py):
the pure choice, the setting's parsing and errors, and the queue sending on
the chosen queue. The real workers are in tests/service/test_routing_workers.py."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from grader.services.queue import GRADE_TASK, WEBHOOK_TASK, CeleryQueue
from grader.services.routing import grading_queue, grading_queues, parse_routes
from grader.settings import Settings

ROUTES = {"sql": "grading-sql", "slow-query-fix": "grading-big", "python": "grading-py"}


@pytest.mark.parametrize(("slug", "runner", "queue"), [
    ("index-tuning", "sql", "grading-sql"),  # by runner
    ("slow-query-fix", "sql", "grading-big"),  # the slug wins over the runner
    ("slow-query-fix", None, "grading-big"),  # the slug alone
    ("books-api", "http-app", "grading"),  # no route: the default queue
    ("books-api", None, "grading"),
    (None, None, "grading"),
    ("python", "http-app", "grading"),  # a runner-name key never routes a slug
    ("fizzbuzz", "python", "grading-py"),
])
def test_grading_queue(slug: str | None, runner: str | None, queue: str) -> None:
    assert grading_queue(ROUTES, slug, runner) == queue


def test_no_routes_sends_everything_to_grading() -> None:
    assert grading_queue({}, "slow-query-fix", "sql") == "grading"
    assert grading_queues({}) == ["grading"]
    assert grading_queues(ROUTES) == ["grading", "grading-big", "grading-py", "grading-sql"]


@pytest.mark.parametrize("text", [
    '{"sql": "grading-sql", "slow-query-fix": "grading-big"}',
    "sql=grading-sql, slow-query-fix=grading-big",
    " sql = grading-sql ,slow-query-fix=grading-big, ",
])
def test_json_and_pairs_read_alike(text: str) -> None:
    assert parse_routes(text) == {"sql": "grading-sql", "slow-query-fix": "grading-big"}


def test_the_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().grading_routes == {}
    monkeypatch.setenv("GRADER_GRADING_ROUTES", '{"sql": "grading-sql"}')
    assert Settings().grading_routes == {"sql": "grading-sql"}
    monkeypatch.setenv("GRADER_GRADING_ROUTES", "http-app=grading-apps")
    assert Settings().grading_routes == {"http-app": "grading-apps"}
    monkeypatch.setenv("GRADER_GRADING_ROUTES", "")
    assert Settings().grading_routes == {}


@pytest.mark.parametrize(("text", "says"), [
    ('{"sql": "Grading SQL"}', "is not a queue name"),
    ('{"sql": ""}', "is not a queue name"),
    ('{"sql": "' + "q" * 65 + '"}', "is not a queue name"),
    ('{"sql": 3}', "is not a queue name"),
    ('{"Not A Slug": "grading-x"}', "neither a runner"),
    ("postgres=grading-sql,x=y", "neither a runner"),
    ("sql", "is not key=queue"),
    ('{"sql": ', "not valid JSON"),
    ('["sql"]', "must map runners or exercise slugs"),
])
def test_bad_routes_name_the_setting(monkeypatch: pytest.MonkeyPatch, text: str,
                                     says: str) -> None:
    monkeypatch.setenv("GRADER_GRADING_ROUTES", text)
    with pytest.raises(ValidationError, match="GRADER_GRADING_ROUTES") as caught:
        Settings()
    assert says in str(caught.value)


class RecordingApp:
    """Stands in for a Celery app: records what send_task was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any], str]] = []

    def send_task(self, name: str, *, args: list[Any], queue: str, **_options: Any) -> None:
        self.sent.append((name, args, queue))


def test_the_queue_sends_each_grading_on_its_route() -> None:
    asked: list[str] = []

    def runner_of(slug: str) -> str | None:
        asked.append(slug)
        return {"index-tuning": "sql"}.get(slug)

    app = RecordingApp()
    queue = CeleryQueue(app, routes=ROUTES, runner_of=runner_of)
    assert queue.enqueue("a", exercise="index-tuning", runner="sql")
    assert queue.enqueue("b", exercise="index-tuning")  # the sweep: the slug alone
    assert queue.enqueue("c", exercise="slow-query-fix")
    assert queue.enqueue("d", exercise="books-api", runner="http-app")
    assert queue.enqueue("e")
    assert queue.enqueue_webhook("a")
    assert app.sent == [
        (GRADE_TASK, ["a"], "grading-sql"), (GRADE_TASK, ["b"], "grading-sql"),
        (GRADE_TASK, ["c"], "grading-big"), (GRADE_TASK, ["d"], "grading"),
        (GRADE_TASK, ["e"], "grading"), (WEBHOOK_TASK, ["a"], "grading"),
    ]
    assert asked == ["index-tuning", "slow-query-fix"]  # only when the runner is missing


def test_slug_routes_alone_never_ask_for_the_runner() -> None:
    def runner_of(slug: str) -> str | None:
        raise AssertionError("not needed: no route is by runner")

    app = RecordingApp()
    assert CeleryQueue(app, routes={"slow-query-fix": "grading-big"},
                       runner_of=runner_of).enqueue("a", exercise="books-api")
    assert app.sent == [(GRADE_TASK, ["a"], "grading")]
