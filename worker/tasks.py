"""The tasks. Thin on purpose: the logic lives in grader.services, where it is
tested without Celery; these only map its results onto Celery's retries."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

from celery.signals import (  # type: ignore[import-untyped]
    worker_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from grader.lti.keys import tool_key
from grader.services import (
    grading_jobs,
    lti_passback,
    proving_sweep,
    status_events,
    sweep,
    webhooks,
)
from grader.services.queue import (
    GRADE_TASK,
    LTI_PASSBACK_TASK,
    QUEUE_NAME,
    SWEEP_TASK,
    WEBHOOK_TASK,
    CeleryQueue,
)
from grader.services.routing import catalog_runner
from grader.settings import Settings
from sandbox.errors import SandboxError
from worker import runtime
from worker.app import app

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def task(**options: Any) -> Callable[[F], F]:
    """app.task with a type (Celery ships none)."""
    return cast(Callable[[F], F], app.task(**options))


def _settings() -> Settings:
    settings: Settings = app.conf.grader_settings  # set by worker.app.make_celery
    return settings


def _queue(catalog: Any) -> CeleryQueue:
    """The queue this worker sends on, routed like the API's (services.routing)."""
    return CeleryQueue(app, routes=_settings().grading_routes, runner_of=catalog_runner(catalog))


@task(bind=True, name=GRADE_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def grade(self: Any, submission_id: str) -> str:
    settings = _settings()
    rt = runtime.runtime(settings)
    retries = int(self.request.retries or 0)
    result, reason = grading_jobs.grade_submission(
        db=rt.db, catalog=rt.catalog, submission_id=submission_id,
        claim_id=str(self.request.id), grade=runtime.grade_function, settings=settings,
        worker=str(self.request.hostname), max_retries=settings.grade_max_retries,
        max_attempts=settings.grade_max_attempts, lease_seconds=settings.running_deadline_seconds,
        # Its stream shows `running` now, not at its next poll (as the final state below).
        on_claimed=lambda: status_events.announce(rt.redis, submission_id),
    )
    if result is grading_jobs.Result.RETRY:
        delay = settings.grade_retry_backoff_seconds * (2**retries)
        log.warning("submission %s: retry %d in %.1f s (%s)", submission_id, retries + 1,
                    delay, reason)
        # The database counts the budget (services.grading_jobs); Celery need not.
        # The retry goes back on the queue this message came on (Celery keeps
        # its routing key), so a routed exercise stays with its pool.
        raise self.retry(countdown=delay, max_retries=None)
    final = result in (grading_jobs.Result.GRADED, grading_jobs.Result.NOT_GRADABLE)
    if final:  # its stream sees it now, not at its next poll
        status_events.announce(rt.redis, submission_id)
    if final and webhooks.wanted(db=rt.db, submission_id=submission_id):
        CeleryQueue(app).enqueue_webhook(submission_id)
    if result is grading_jobs.Result.GRADED:
        _scores_changed(rt.db, submission_id)
    return result.value


def _scores_changed(db: Any, submission_id: str) -> None:
    """LTI passbacks for the new score; never fails the grading already recorded."""
    try:
        lti_passback.submission_scored(db=db, queue=CeleryQueue(app), submission_id=submission_id)
    except Exception:
        log.exception("LTI passback for %s not queued", submission_id)


@task(bind=True, name=LTI_PASSBACK_TASK, acks_late=True, max_retries=None)
def lti_passback_task(self: Any, passback_id: int) -> str:
    """Post one score to the LMS; a failure is recorded on the row (instructors
    see it), then retried with the webhooks' backoff and retry budget."""
    settings = _settings()
    rt = runtime.runtime(settings)
    outcome = lti_passback.send(db=rt.db, key=tool_key(settings), passback_id=passback_id)
    retries = int(self.request.retries or 0)
    if outcome != "failed" or retries >= settings.webhook_max_retries:
        return outcome
    raise self.retry(countdown=settings.webhook_backoff_seconds * (2**retries),
                     max_retries=settings.webhook_max_retries)


@task(bind=True, name=WEBHOOK_TASK, acks_late=True, max_retries=None)
def webhook(self: Any, submission_id: str) -> str:
    settings = _settings()
    rt = runtime.runtime(settings)
    outcome = webhooks.deliver(db=rt.db, submission_id=submission_id, secret=rt.secret,
                               timeout=settings.webhook_timeout_seconds)
    if outcome.skipped or outcome.delivered:
        return "skipped" if outcome.skipped else "delivered"
    retries = int(self.request.retries or 0)
    if retries >= settings.webhook_max_retries:
        log.warning("webhook for %s given up after %d attempts: %s", submission_id,
                    outcome.attempt, outcome.error)
        return "failed"
    raise self.retry(countdown=settings.webhook_backoff_seconds * (2**retries),
                     max_retries=settings.webhook_max_retries)


@task(name=SWEEP_TASK, acks_late=True)
def sweep_task() -> dict[str, int]:
    settings = _settings()
    rt = runtime.runtime(settings)
    result = sweep.sweep(db=rt.db, queue=_queue(rt.catalog),
                         queued_deadline=settings.queued_deadline_seconds,
                         max_attempts=settings.grade_max_attempts)
    removed = _remove_orphans(settings)
    try:  # LTI passbacks marked by services without a queue (extensions, releases...)
        lti_passback.enqueue_pending(db=rt.db, queue=CeleryQueue(app))
    except Exception:
        log.exception("LTI passback sweep failed")
    proving = _sweep_proving(rt.db)
    return {"requeued_running": len(result.requeued_running), "enqueued": len(result.enqueued),
            "failed": len(result.failed), "not_gradable": len(result.gave_up),
            "orphans_removed": removed, **proving}


def _sweep_proving(db: Any) -> dict[str, int]:
    """Published versions stuck pending or checking (services.proving_sweep);
    never fails the rest of the sweep."""
    try:
        done = proving_sweep.sweep_proving(db=db, queue=CeleryQueue(app))
    except Exception:
        log.exception("proving sweep failed")
        return {}
    return {"proving_enqueued": len(done.enqueued), "proving_restarted": len(done.restarted),
            "proving_failed": len(done.failed)}


def _remove_orphans(settings: Settings) -> int:
    try:
        from sandbox import cleanup, engine

        return cleanup.remove_orphans(engine.connect(settings.docker_url),
                                      max_age_seconds=settings.sandbox_max_age_seconds())
    except SandboxError as exc:
        log.warning("orphan sweep skipped: %s", exc)
        return 0


def _on_init(sender: Any = None, **_kwargs: Any) -> None:
    """Migrate before the pool starts (the service migrates on start); the
    engine is dropped so forked pool processes open their own."""
    rt = runtime.runtime(_settings())
    rt.db.migrate()
    rt.db.dispose()
    runtime.worker_pid = os.getpid()


def _on_ready(sender: Any = None, **_kwargs: Any) -> None:
    """Sweep once at start-up: pick up whatever a previous run left behind."""
    app.send_task(SWEEP_TASK, queue=QUEUE_NAME)


def _on_process_shutdown(sender: Any = None, **_kwargs: Any) -> None:
    """A pool process (or a solo worker) stops: its warm sandboxes go with it.
    One killed outright leaves them to the orphan sweep (their owner pid is gone)."""
    runtime.close_pool()


worker_init.connect(_on_init, weak=False)
worker_ready.connect(_on_ready, weak=False)
worker_process_shutdown.connect(_on_process_shutdown, weak=False)
worker_shutdown.connect(_on_process_shutdown, weak=False)
