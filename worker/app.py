"""The Celery application: Redis broker, one message per worker process at a
time, acknowledged only after the task ran.

- `task_acks_late` + `task_reject_on_worker_lost`: a worker killed mid-grading
  leaves its message unacknowledged, so it is delivered again (the grade task
  is idempotent, so a redelivery never grades twice).
- `worker_prefetch_multiplier=1`: a busy worker does not hoard messages that
  an idle worker on another host could take.
- `visibility_timeout` above the longest grading: Redis re-delivers an
  unacknowledged message after it, and must not do so while one still runs.
  Faster recovery from a dead worker comes from the database sweep.
"""

from __future__ import annotations

from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from grader.services import config
from grader.services.queue import QUEUE_NAME, SWEEP_TASK
from grader.settings import Settings, get_settings


def make_celery(settings: Settings) -> Any:
    broker = config.redis_url(settings)
    app = Celery("grader", broker=broker, include=["worker.tasks", "worker.authoring"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results live in the database, not in Celery
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": int(max(3600, 4 * settings.running_deadline_seconds)),
            "socket_connect_timeout": 5,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_schedule={
            "sweep": {"task": SWEEP_TASK, "schedule": settings.sweep_interval_seconds},
        },
        timezone="UTC",
    )
    app.conf.grader_settings = settings
    return app


app = make_celery(get_settings())
