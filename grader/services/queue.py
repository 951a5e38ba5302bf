"""Putting submission ids on the work queue.

The API only ever sends task *names* (send_task), so the web service does not
import the worker package: dependencies point grader <- worker. The database
is the source of truth; a failed enqueue is logged and left to the sweep.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from grader.services.routing import DEFAULT_QUEUE, grading_queue, grading_queues, needs_runner

log = logging.getLogger(__name__)

GRADE_TASK = "grader.grade"
WEBHOOK_TASK = "grader.webhook"
SWEEP_TASK = "grader.sweep"
LTI_PASSBACK_TASK = "grader.lti_passback"  # args: [passback row id]
# The queue grading tasks travel on unless GRADER_GRADING_ROUTES sends them to
# another (services.routing); webhooks, passbacks and the sweep stay on it.
QUEUE_NAME = DEFAULT_QUEUE
# Proving published packs (image builds, many gradings): a queue of its own,
# so a build never waits in front of a student's grading (docs/authoring.md).
PROVE_TASK = "grader.prove"
# A regrade's dry run grades every targeted submission: authoring work too.
REGRADE_PREVIEW_TASK = "grader.regrade_preview"  # args: [preview id]
AUTHORING_QUEUE = "authoring"
# A quick give-up: the submission is already safe in the database, so a
# request should not hang while Redis is away; the sweep enqueues it later.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class Queue(Protocol):
    def enqueue(self, submission_id: str, exercise: str | None = None,
                runner: str | None = None) -> bool:
        """Put a grading job on the queue its exercise (slug, runner) is routed
        to (services.routing); False if the broker did not take it."""

    def enqueue_webhook(self, submission_id: str) -> bool: ...

    def enqueue_passback(self, passback_id: int) -> bool:
        """An LTI score passback (grader.services.lti_passback)."""

    def depth(self) -> int | None:
        """Messages waiting in the broker, or None if it cannot be asked."""


class CeleryQueue:
    def __init__(self, celery_app: Any, routes: Mapping[str, str] | None = None,
                 runner_of: Callable[[str], str | None] | None = None) -> None:
        """`routes`: GRADER_GRADING_ROUTES; `runner_of`: slug -> runner, asked
        only when a caller gives the slug alone and some route is by runner."""
        self.app = celery_app
        self.routes = dict(routes or {})
        self.runner_of = runner_of

    def grading_queue(self, exercise: str | None, runner: str | None) -> str:
        if (runner is None and exercise is not None and self.runner_of is not None
                and needs_runner(self.routes)):
            runner = self.runner_of(exercise)
        return grading_queue(self.routes, exercise, runner)

    def _send(self, name: str, submission_id: str | int, queue: str = QUEUE_NAME) -> bool:
        try:
            self.app.send_task(
                name, args=[submission_id], queue=queue,
                retry=True, retry_policy=PUBLISH_RETRY,
            )
        except Exception as exc:  # any broker failure: the sweep will retry
            log.warning("could not enqueue %s for %s: %s", name, submission_id, exc)
            return False
        return True

    def enqueue(self, submission_id: str, exercise: str | None = None,
                runner: str | None = None) -> bool:
        return self._send(GRADE_TASK, submission_id, self.grading_queue(exercise, runner))

    def enqueue_webhook(self, submission_id: str) -> bool:
        return self._send(WEBHOOK_TASK, submission_id)

    def enqueue_passback(self, passback_id: int) -> bool:
        return self._send(LTI_PASSBACK_TASK, passback_id)

    def enqueue_prove(self, version_id: int) -> bool:
        """Put a published version's proving job on the authoring queue."""
        try:
            self.app.send_task(PROVE_TASK, args=[version_id], queue=AUTHORING_QUEUE,
                               retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # the version stays pending; publishing again re-sends it
            log.warning("could not enqueue the proving of version %s: %s", version_id, exc)
            return False
        return True

    def enqueue_regrade_preview(self, preview_id: int) -> bool:
        """Put a regrade preview (services.regrade_preview) on the authoring queue."""
        try:
            self.app.send_task(REGRADE_PREVIEW_TASK, args=[preview_id], queue=AUTHORING_QUEUE,
                               retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # the preview is marked failed: the author asks again
            log.warning("could not enqueue regrade preview %s: %s", preview_id, exc)
            return False
        return True

    def depth(self) -> int | None:
        """Gradings waiting, summed over every grading queue in use."""
        try:
            with self.app.connection_for_write() as conn:
                client = conn.default_channel.client
                return sum(int(client.llen(name)) for name in grading_queues(self.routes))
        except Exception:
            return None


@functools.cache
def publish_transport() -> type:
    """kombu's Redis transport, but each channel keeps the one redis-py client
    it publishes with instead of building a new one per message.

    kombu's Channel.conn_or_acquire() constructs a redis.Redis around the
    channel's connection pool for every LPUSH; redis-py fills ~170 response
    callbacks into a fresh dict each time: about a fifth of send_task's CPU,
    and send_task is about a tenth of a POST's (docs/service.md, "Deadline
    bursts"). The client is only a front for the same pool, so keeping it
    sends the same commands and the same message: workers see no difference.
    A channel is used by one producer at a time (Celery's producer pool), and
    a redis.Redis over a ConnectionPool is thread-safe anyway."""
    from kombu.transport import redis as kombu_redis

    class PublishChannel(kombu_redis.Channel):
        _publish_client: Any = None

        def _create_client(self, asynchronous: bool = False) -> Any:
            if asynchronous:  # the consumer's (BRPOP) client: a cached property already
                return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
            if self._publish_client is None:
                self._publish_client = super()._create_client()  # type: ignore[no-untyped-call]
            return self._publish_client

        def _disconnect_pools(self) -> None:
            # A closed channel's pool is dropped: so is the client around it.
            self._publish_client = None
            super()._disconnect_pools()  # type: ignore[no-untyped-call]

    class PublishTransport(kombu_redis.Transport):
        Channel = PublishChannel

    return PublishTransport


def producer_app(broker_url: str) -> Any:
    """A Celery app used only to publish (the API side)."""
    from celery import Celery  # type: ignore[import-untyped]

    app = Celery("grader-api", broker=broker_url)
    if broker_url.startswith("redis://"):
        # Plain Redis only: rediss:// and sentinel:// keep kombu's own transports.
        app.conf.broker_transport = publish_transport()
    app.conf.update(
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=False,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        task_serializer="json",
    )
    return app
