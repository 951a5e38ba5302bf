"""The proving sweep (part of the worker's periodic sweep): a published
version must not stay `pending` or `checking` for ever because its proving
message was lost or the worker proving it died.

- `pending` and neither published, started, finished nor sent to the queue
  for `pending_after` seconds: its message is presumed lost; sent again.
- `checking` for longer than `checking_limit` (a proving's time, an image
  build and every case run twice, plus a margin): its worker is presumed dead;
  back to `pending` and sent again, at most `max_restarts` times. After
  that it fails with an `infrastructure:` verdict, so publishing the same
  archive again proves it again (services.publishing).

Sending twice is safe: the proving task skips a version already judged
(services.proving), and the authoring worker runs one proving at a time.
The counts live in `proving_retries` (grader.db.regrade_previews).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from grader.db import Database, utcnow
from grader.db.publishing import ExerciseVersion, VersionStatus
from grader.db.regrade_previews import ProvingRetry
from grader.services.publishing import INFRASTRUCTURE, ProveQueue, append_log

log = logging.getLogger(__name__)
PENDING_AFTER_SECONDS = 600.0  # ten minutes without a worker taking it
# No setting caps a proving; an image build and two runs of every case took
# seconds to minutes here, so an hour is the cap plus a wide margin.
CHECKING_LIMIT_SECONDS = 3600.0
MAX_RESTARTS = 2  # then failed: it may be the pack that kills its worker
BATCH = 100


@dataclass(frozen=True)
class ProvingSweep:
    enqueued: list[int]  # sent to the authoring queue (restarted ones included)
    restarted: list[int]  # were `checking` too long: pending again
    failed: list[int]  # were `checking` too long once too often: failed
    not_sent: list[int]  # the queue did not take them; the next sweep tries again


def _retry(session: Session, version_id: int) -> ProvingRetry:
    row = session.get(ProvingRetry, version_id)
    if row is None:
        row = ProvingRetry(version_id=version_id, restarts=0, enqueued=0)
        session.add(row)
    return row


def _stalled(db: Database, now: datetime, checking_limit: float,
             max_restarts: int) -> tuple[list[int], list[int]]:
    """Versions `checking` past the limit: (restarted, failed)."""
    restarted: list[int] = []
    failed: list[int] = []
    with db.session() as session:
        rows = session.scalars(
            select(ExerciseVersion)
            .where(ExerciseVersion.status == VersionStatus.CHECKING.value,
                   ExerciseVersion.started_at < now - timedelta(seconds=checking_limit))
            .limit(BATCH).options(lazyload("*"))  # no outer joins under FOR UPDATE (PostgreSQL)
            .with_for_update(skip_locked=True)).unique().all()
        for row in rows:
            retry = _retry(session, row.id)
            if retry.restarts >= max_restarts:
                row.status, row.finished_at = VersionStatus.FAILED.value, now
                row.verdict = (f"{INFRASTRUCTURE}proving did not finish within "
                               f"{checking_limit:.0f} s, {retry.restarts + 1} times (its worker "
                               "stopped?); publish the same archive again to retry")
                session.delete(retry)  # publishing again starts a fresh count
                failed.append(row.id)
            else:
                retry.restarts += 1
                row.status = VersionStatus.PENDING.value
                restarted.append(row.id)
    for version_id in failed:
        log.error("exercise version %s: proving never finished; failed", version_id)
    for version_id in restarted:
        log.warning("exercise version %s: proving stalled; proving again", version_id)
        append_log(db=db, version_id=version_id, lines=[
            f"proving did not finish within {checking_limit:.0f} s (its worker stopped?); "
            "queued to be proven again"])
    return restarted, failed


def _lost(db: Database, now: datetime, pending_after: float) -> list[int]:
    """Pending versions nobody sent or took for `pending_after` seconds."""
    cutoff = now - timedelta(seconds=pending_after)
    with db.reading() as session:
        return list(session.scalars(
            select(ExerciseVersion.id)
            .outerjoin(ProvingRetry, ProvingRetry.version_id == ExerciseVersion.id)
            .where(ExerciseVersion.status == VersionStatus.PENDING.value,
                   ExerciseVersion.published_at < cutoff,
                   *(or_(column.is_(None), column < cutoff) for column in (
                       ExerciseVersion.started_at, ExerciseVersion.finished_at,
                       ProvingRetry.last_enqueued_at)))
            .order_by(ExerciseVersion.id).limit(BATCH)))


def sweep_proving(*, db: Database, queue: object, now: datetime | None = None,
                  pending_after: float = PENDING_AFTER_SECONDS,
                  checking_limit: float = CHECKING_LIMIT_SECONDS,
                  max_restarts: int = MAX_RESTARTS) -> ProvingSweep:
    """One pass; `queue` is a ProveQueue (CeleryQueue is one)."""
    now = now or utcnow()
    restarted, failed = _stalled(db, now, checking_limit, max_restarts)
    waiting = restarted + [v for v in _lost(db, now, pending_after) if v not in restarted]
    sent = [v for v in waiting if isinstance(queue, ProveQueue) and queue.enqueue_prove(v)]
    if sent:
        with db.session() as session:
            for version_id in sent:
                retry = _retry(session, version_id)
                retry.enqueued += 1
                retry.last_enqueued_at = now
    return ProvingSweep(enqueued=sent, restarted=restarted, failed=failed,
                        not_sent=[v for v in waiting if v not in sent])
