"""The worker's side of the domain, without Docker or Celery: claims,
idempotency, infrastructure retries, attempts, the sweep."""

from __future__ import annotations

from datetime import timedelta

from grader.db import Database, Role, Submission, SubmissionStatus, User, utcnow
from grader.services import accounts, grading_jobs, submissions, sweep
from grader.services.catalog import Catalog
from grader.services.errors import NotFound
from grader.settings import Settings
from tests.helpers.service_fakes import FakeQueue, fake_grade

LIMITS = submissions.SubmissionCaps(queue_max_depth=100, max_submission_bytes=10_000)


def new_submission(db: Database, catalog: Catalog, queue: FakeQueue, user: User,
                   source: str = "PASS\n") -> str:
    view, _ = submissions.create_submission(
        db=db, catalog=catalog, queue=queue, limiter=None, limits=LIMITS,
        new=submissions.NewSubmission(user=user, exercise="hello-api",
                                      files={"app/main.py": source}),
    )
    return view.id


def run(db: Database, catalog: Catalog, sub_id: str, *, claim: str = "c1",
        retries: int = 1) -> grading_jobs.Result:
    result, _ = grading_jobs.grade_submission(
        db=db, catalog=catalog, submission_id=sub_id, claim_id=claim, grade=fake_grade,
        settings=Settings(), worker="w", max_retries=retries, lease_seconds=60,
    )
    return result


def student(db: Database, name: str = "sam") -> User:
    return accounts.create_user(db=db, name=name, role=Role.STUDENT)


def test_grading_twice_does_nothing_the_second_time(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    sub_id = new_submission(db, catalog, queue, student(db))
    assert run(db, catalog, sub_id) is grading_jobs.Result.GRADED
    assert run(db, catalog, sub_id) is grading_jobs.Result.SKIPPED
    assert run(db, catalog, sub_id, claim="other") is grading_jobs.Result.SKIPPED
    with db.session() as session:
        sub = session.get_one(Submission, sub_id)
        assert sub.status == SubmissionStatus.GRADED and sub.tries == 1


def test_on_claimed_is_called_once_the_submission_runs_and_never_for_a_skip(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    sub_id = new_submission(db, catalog, queue, student(db))
    seen: list[SubmissionStatus] = []

    def on_claimed() -> None:  # what the stream would read at that moment
        with db.session() as session:
            seen.append(session.get_one(Submission, sub_id).status)

    def grade(**kwargs: object) -> object:
        assert seen == [SubmissionStatus.RUNNING]  # announced before the grading starts
        return fake_grade(**kwargs)  # type: ignore[arg-type]

    for claim in ("c1", "c1", "other"):  # graded, then two skips
        grading_jobs.grade_submission(
            db=db, catalog=catalog, submission_id=sub_id, claim_id=claim, grade=grade,
            settings=Settings(), worker="w", max_retries=1, lease_seconds=60,
            on_claimed=on_claimed)  # fmt: skip
    assert seen == [SubmissionStatus.RUNNING]


def test_a_live_claim_keeps_other_workers_out_but_its_own_redelivery_in(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    sub_id = new_submission(db, catalog, queue, student(db))
    assert grading_jobs.claim(db=db, submission_id=sub_id, claim_id="task-1", lease_seconds=60)
    taken = grading_jobs.claim(db=db, submission_id=sub_id, claim_id="task-2", lease_seconds=60)
    assert taken is None
    # The same task redelivered (its worker died before acking) takes over at once.
    assert run(db, catalog, sub_id, claim="task-1") is grading_jobs.Result.GRADED


def test_an_expired_lease_can_be_taken_over_and_the_late_worker_is_ignored(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    sub_id = new_submission(db, catalog, queue, student(db))
    first = grading_jobs.claim(db=db, submission_id=sub_id, claim_id="slow", lease_seconds=-1)
    assert first is not None
    assert run(db, catalog, sub_id, claim="fresh") is grading_jobs.Result.GRADED
    report = fake_grade(pack=None, files=first.files)
    late = grading_jobs.record_report(db=db, claimed=first, claim_id="slow",
                                      pack=catalog.get("hello-api"), report=report,
                                      duration=0.1, worker="slow")
    assert late is False
    with db.session() as session:
        assert session.get_one(Submission, sub_id).current_grading is not None


def test_infrastructure_faults_retry_then_not_gradable_without_costing_an_attempt(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = student(db)
    sub_id = new_submission(db, catalog, queue, user, "INFRA\n")
    assert run(db, catalog, sub_id) is grading_jobs.Result.RETRY
    view = submissions.get_submission(db=db, user=user, submission_id=sub_id)
    assert view.status is SubmissionStatus.QUEUED and view.attempts == 1
    assert run(db, catalog, sub_id) is grading_jobs.Result.NOT_GRADABLE
    view = submissions.get_submission(db=db, user=user, submission_id=sub_id)
    assert view.status is SubmissionStatus.NOT_GRADABLE
    assert view.message is not None and "EngineUnavailable" in view.message
    assert view.attempt_number is None and view.score is None
    # The next real grading is attempt 1, not 2.
    good = new_submission(db, catalog, queue, user)
    assert run(db, catalog, good) is grading_jobs.Result.GRADED
    assert submissions.get_submission(db=db, user=user, submission_id=good).attempt_number == 1
    another = new_submission(db, catalog, queue, user, "FAIL\n")
    run(db, catalog, another)
    assert submissions.get_submission(db=db, user=user, submission_id=another).attempt_number == 2


def test_a_missing_exercise_is_not_gradable_at_once(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = student(db)
    sub_id = new_submission(db, catalog, queue, user)
    catalog._packs = {}  # the worker's catalogue no longer has it
    catalog.ttl = 1e9
    assert run(db, catalog, sub_id) is grading_jobs.Result.NOT_GRADABLE
    view = submissions.get_submission(db=db, user=user, submission_id=sub_id)
    assert view.message == "exercise 'hello-api' is not available on this worker"


def test_sweep_requeues_dead_workers_and_enqueues_what_the_broker_lost(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = student(db)
    queue.up = False
    lost = new_submission(db, catalog, queue, user)  # never reached the broker
    queue.up = True
    stuck = new_submission(db, catalog, queue, user)
    fresh = new_submission(db, catalog, queue, user)
    grading_jobs.claim(db=db, submission_id=stuck, claim_id="dead", lease_seconds=-5)
    queue.grading.clear()
    result = sweep.sweep(db=db, queue=queue, queued_deadline=60)
    assert result.requeued_running == [stuck]
    assert sorted(result.enqueued) == sorted([lost, stuck])  # fresh was enqueued just now
    assert fresh not in queue.grading
    # An old enqueue is sent again when the broker holds fewer messages than
    # there are queued submissions (Redis lost them)...
    with db.session() as session:
        session.get_one(Submission, fresh).enqueued_at = utcnow() - timedelta(minutes=5)
    queue.grading.clear()
    assert sweep.sweep(db=db, queue=queue, queued_deadline=60).enqueued == [fresh]
    # ...but not when the broker's backlog covers them all (a long queue).
    with db.session() as session:
        session.get_one(Submission, fresh).enqueued_at = utcnow() - timedelta(minutes=5)
    queue.grading[:] = ["m1", "m2", "m3"]
    assert sweep.sweep(db=db, queue=queue, queued_deadline=60).enqueued == []
    queue.up = False
    assert sweep.sweep(db=db, queue=queue, queued_deadline=0).failed


def test_get_of_unknown_id_is_not_found(db: Database) -> None:
    user = student(db)
    try:
        submissions.get_submission(db=db, user=user, submission_id="nope")
    except NotFound as exc:
        assert exc.message == "no submission 'nope'"
    else:
        raise AssertionError("expected NotFound")
