"""The proving sweep without Celery (services.proving_sweep): a version
pending with no worker taking it is sent again, but not on every pass; one
checking past the limit goes back to pending and is sent again, at most
max_restarts times, then fails with an `infrastructure:` verdict; fresh and
finished versions are left alone; a queue that refuses is tried again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from grader.db import Database, Role, utcnow
from grader.db.publishing import ExerciseVersion, VersionStatus
from grader.services import accounts
from grader.services.proving_sweep import sweep_proving
from grader.services.publishing import INFRASTRUCTURE
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)
from tests.service.test_postgres import pg_url  # noqa: F401  (the fixture)

LIMIT = 3600.0


@dataclass
class ProveQueue:
    sent: list[int] = field(default_factory=list)
    up: bool = True

    def enqueue_prove(self, version_id: int) -> bool:
        if self.up:
            self.sent.append(version_id)
        return self.up


def version(db: Database, name: str, status: VersionStatus, published: datetime,
            started: datetime | None = None, by: int | None = None) -> int:
    with db.session() as session:
        row = ExerciseVersion(slug=name, category="security", title=name, content_hash=name,
                              archive=b"", status=status.value, log="", published_at=published,
                              started_at=started, published_by=by)
        session.add(row)
        session.flush()
        return row.id


def state(db: Database, version_id: int) -> tuple[str, str | None, str]:
    with db.reading() as session:
        row = session.get_one(ExerciseVersion, version_id)
        return row.status, row.verdict, row.log


def test_a_lost_pending_version_is_sent_again_once_per_wait(db: Database) -> None:
    now = utcnow()
    lost = version(db, "lost", VersionStatus.PENDING, now - timedelta(minutes=30))
    fresh = version(db, "fresh", VersionStatus.PENDING, now - timedelta(minutes=2))
    proven = version(db, "proven", VersionStatus.PROVEN, now - timedelta(hours=5))
    queue = ProveQueue(up=False)
    refused = sweep_proving(db=db, queue=queue, now=now)
    assert (refused.enqueued, refused.not_sent) == ([], [lost])
    queue.up = True
    first = sweep_proving(db=db, queue=queue, now=now)
    assert (first.enqueued, first.restarted, first.failed) == ([lost], [], [])
    assert sweep_proving(db=db, queue=queue, now=now + timedelta(minutes=5)).enqueued == []
    assert fresh not in queue.sent  # published 7 minutes before: not yet
    later = sweep_proving(db=db, queue=queue, now=now + timedelta(minutes=11))
    assert later.enqueued == [lost, fresh] and queue.sent == [lost, lost, fresh]
    assert proven not in queue.sent
    assert state(db, lost)[0] == "pending" and state(db, proven)[0] == "proven"


def test_a_stalled_proving_is_restarted_then_failed_as_infrastructure(db: Database) -> None:
    now = utcnow()
    stalled = version(db, "stalled", VersionStatus.CHECKING, now - timedelta(hours=3),
                      started=now - timedelta(hours=2))
    queue = ProveQueue()
    clock = now
    for attempt in (1, 2):
        done = sweep_proving(db=db, queue=queue, now=clock, checking_limit=LIMIT,
                             max_restarts=2)
        assert (done.restarted, done.enqueued, done.failed) == ([stalled], [stalled], [])
        status, verdict, log = state(db, stalled)
        assert (status, verdict) == ("pending", None) and "proven again" in log
        with db.session() as session:  # a worker takes it and dies in the middle again
            row = session.get_one(ExerciseVersion, stalled)
            row.status, row.started_at = VersionStatus.CHECKING.value, clock
        clock += timedelta(seconds=LIMIT + 1)
        assert attempt == len(queue.sent)
    last = sweep_proving(db=db, queue=queue, now=clock, checking_limit=LIMIT, max_restarts=2)
    assert (last.failed, last.enqueued) == ([stalled], [])
    status, verdict, _ = state(db, stalled)
    assert status == "failed" and (verdict or "").startswith(
        INFRASTRUCTURE + "proving did not finish within 3600 s, 3 times")
    assert sweep_proving(db=db, queue=queue, now=clock + timedelta(minutes=20)).failed == []


def test_a_proving_within_the_limit_is_left_alone(db: Database) -> None:
    now = utcnow()
    busy = version(db, "busy", VersionStatus.CHECKING, now - timedelta(hours=1),
                   started=now - timedelta(minutes=50))
    queue = ProveQueue()
    done = sweep_proving(db=db, queue=queue, now=now, checking_limit=LIMIT)
    assert (done.restarted, done.enqueued, queue.sent) == ([], [], [])
    assert state(db, busy)[0] == "checking"


def test_on_postgresql_the_stalled_rows_are_locked_and_restarted(pg_url: str) -> None:  # noqa: F811
    database = Database(pg_url)
    database.migrate()
    try:
        ada = accounts.create_user(db=database, name="pg-ada", role=Role.AUTHOR)
        now = utcnow()
        stalled = version(database, "pg-stalled", VersionStatus.CHECKING,
                          now - timedelta(hours=3), started=now - timedelta(hours=2), by=ada.id)
        queue = ProveQueue()
        done = sweep_proving(db=database, queue=queue, now=now, checking_limit=LIMIT)
        assert (done.restarted, queue.sent) == ([stalled], [stalled])
        assert state(database, stalled)[0] == "pending"
    finally:
        database.dispose()
