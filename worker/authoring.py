"""The authoring tasks: prove a published exercise version, and run a
regrade preview (a regrade's dry run, graded in the sandbox). A module of its own
(Celery includes it next to worker.tasks) and a queue of its own, "authoring",
so a slow image build never waits in front of a student's grading. Thin on
purpose: grader.services.proving and grader.services.regrade_preview_run
hold the logic, tested without Celery."""

from __future__ import annotations

import logging

from grader.services import proving, regrade_preview_run
from grader.services.queue import PROVE_TASK, REGRADE_PREVIEW_TASK
from worker import runtime
from worker.tasks import _settings, task

log = logging.getLogger(__name__)


# acks_late + reject_on_worker_lost: a worker killed mid-proof leaves the
# message to be delivered again; prove_version restarts a version still
# `checking` and skips one already judged.
@task(name=PROVE_TASK, acks_late=True, reject_on_worker_lost=True)
def prove(version_id: int) -> str:
    settings = _settings()
    rt = runtime.runtime(settings)
    status = proving.prove_version(db=rt.db, version_id=version_id,
                                   check=proving.sandbox_check(settings))
    if status is not None:
        rt.catalog.reload()  # this worker grades against it next: no ttl wait
    log.info("exercise version %s: %s", version_id, status or "nothing to do")
    return status.value if status else "skipped"


# Same delivery guarantees: a rerun skips the items already graded
# (services.regrade_preview_run), a finished preview is left alone.
@task(name=REGRADE_PREVIEW_TASK, acks_late=True, reject_on_worker_lost=True)
def regrade_preview(preview_id: int) -> str:
    settings = _settings()
    rt = runtime.runtime(settings)
    status = regrade_preview_run.run_preview(db=rt.db, catalog=rt.catalog, preview_id=preview_id,
                                             grade=runtime.grade_function, settings=settings)
    log.info("regrade preview %s: %s", preview_id, status or "nothing to do")
    return status.value if status else "skipped"
