"""A fed warm sandbox's CPU weight (sandbox/container.restore_priority): a
failed update is a warning, unless the grading was already over (Docker
refuses to update a container that is stopping: routine for short gradings,
so no warning in every worker's log)."""

from __future__ import annotations

import logging
import threading

import docker.errors
import pytest

from sandbox import container

MESSAGE = "keeps its warm CPU weight"


class FakeContainer:
    short_id = "abc123"

    def __init__(self, status_after: str | None) -> None:
        self.status = "running"
        self._after = status_after  # None: gone
        self.done = threading.Event()

    def update(self, **kwargs: object) -> None:
        raise docker.errors.APIError("cannot update a stopped container: unknown")

    def reload(self) -> None:
        self.done.set()
        if self._after is None:
            raise docker.errors.NotFound("no such container")
        if self._after == "engine down":
            raise docker.errors.DockerException("engine down")
        self.status = self._after


@pytest.mark.parametrize(("status_after", "level"), [
    ("exited", logging.DEBUG),  # over before the update
    (None, logging.DEBUG),  # over and removed already
    ("running", logging.WARNING),  # still grading at the low weight: worth knowing
    ("engine down", logging.WARNING),  # Docker cannot say: the update failure stands
])  # fmt: skip
def test_a_failed_restore_warns_only_while_the_grading_runs(
    status_after: str | None, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeContainer(status_after)
    with caplog.at_level(logging.DEBUG, logger="sandbox.container"):
        container.restore_priority(fake)  # type: ignore[arg-type]
        assert fake.done.wait(10)
        for _ in range(200):  # the log line follows the reload in the same thread
            if any(MESSAGE in r.getMessage() for r in caplog.records):
                break
            threading.Event().wait(0.01)
    [record] = [r for r in caplog.records if MESSAGE in r.getMessage()]
    assert record.levelno == level
