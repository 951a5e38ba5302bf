"""The attempt cap (GRADER_GRADE_MAX_ATTEMPTS), in-process on SQLite: a
grading that never finishes (its worker dies every time) is claimed at most
the cap's number of times, then the sweep ends it `not_gradable` and never
queues it again. Infrastructure retries (GRADER_GRADE_MAX_RETRIES) are a
budget of their own; a regrade starts both again."""

from __future__ import annotations

from sqlalchemy import update

from grader.db import Database, Role, Submission, SubmissionStatus, User
from grader.services import accounts, grading_jobs, regrade, submissions, sweep
from grader.services.catalog import Catalog
from grader.settings import Settings
from tests.helpers.service_fakes import FakeQueue, fake_grade

LIMITS = submissions.SubmissionCaps(queue_max_depth=100, max_submission_bytes=10_000)


def _submit(db: Database, catalog: Catalog, queue: FakeQueue, user: User, source: str,
            callback: str | None = None) -> str:
    view, _ = submissions.create_submission(
        db=db, catalog=catalog, queue=queue, limiter=None, limits=LIMITS,
        new=submissions.NewSubmission(user=user, exercise="hello-api",
                                      files={"app/main.py": source}))
    if callback:  # set directly: the callback policy is not what is tested here
        with db.session() as session:
            session.execute(update(Submission).where(Submission.id == view.id)
                            .values(callback_url=callback))
    return view.id


def _row(db: Database, sub_id: str) -> Submission:
    with db.reading() as session:
        return session.get_one(Submission, sub_id)


def test_a_worker_that_dies_every_time_costs_three_claims_then_not_gradable(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = accounts.create_user(db=db, name="sam", role=Role.STUDENT)
    sub_id = _submit(db, catalog, queue, user, "PASS\n", callback="https://example.org/hook")
    lost = []
    for n in range(1, 4):
        # Claimed, then the worker is gone: the lease has run out at once.
        claimed = grading_jobs.claim(db=db, submission_id=sub_id, claim_id=f"dead-{n}",
                                lease_seconds=-1, max_attempts=3)
        assert claimed is not None and claimed.attempts == n
        lost.append(sweep.sweep(db=db, queue=queue, queued_deadline=60, max_attempts=3))
    assert [r.requeued_running for r in lost] == [[sub_id], [sub_id], []]
    assert lost[-1].gave_up == [sub_id] and queue.webhooks == [sub_id]
    sub = _row(db, sub_id)
    assert sub.status == SubmissionStatus.NOT_GRADABLE and sub.grading_attempts == 3
    assert sub.reason and "gave up after 3 unfinished attempts" in sub.reason
    assert "lease ran out" in sub.reason  # the last failure, as the sweep saw it
    assert sub.attempt_number is None  # costs the student nothing
    # Never claimed or queued again, whatever messages are still around.
    late = grading_jobs.claim(db=db, submission_id=sub_id, claim_id="late", lease_seconds=60)
    assert late is None
    again = sweep.sweep(db=db, queue=queue, queued_deadline=0, max_attempts=3)
    assert sub_id not in again.enqueued + again.requeued_running + again.gave_up


def test_a_spent_budget_is_never_claimed_and_the_sweep_ends_it(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = accounts.create_user(db=db, name="sam", role=Role.STUDENT)
    sub_id = _submit(db, catalog, queue, user, "PASS\n")
    assert grading_jobs.claim(db=db, submission_id=sub_id, claim_id="a", lease_seconds=-1)
    assert sweep.sweep(db=db, queue=queue, queued_deadline=60).requeued_running == [sub_id]
    # The cap was lowered to 1 meanwhile: the queued submission has no attempt left.
    result, _ = grading_jobs.grade_submission(
        db=db, catalog=catalog, submission_id=sub_id, claim_id="b", grade=fake_grade,
        settings=Settings(), worker="w", max_retries=0, lease_seconds=60,
        max_attempts=1)
    assert result is grading_jobs.Result.SKIPPED
    assert sweep.sweep(db=db, queue=queue, queued_deadline=60, max_attempts=1).gave_up == [sub_id]
    assert _row(db, sub_id).status == SubmissionStatus.NOT_GRADABLE
    assert queue.webhooks == []  # no callback_url: no webhook task


def test_infrastructure_retries_do_not_spend_attempts_and_a_regrade_restores_both(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    user = accounts.create_user(db=db, name="sam", role=Role.STUDENT)
    author = accounts.create_user(db=db, name="ada", role=Role.AUTHOR)
    sub_id = _submit(db, catalog, queue, user, "INFRA\n")

    def run(claim: str, grade: object = fake_grade) -> grading_jobs.Result:
        result, _ = grading_jobs.grade_submission(
            db=db, catalog=catalog, submission_id=sub_id, claim_id=claim, grade=grade,
            settings=Settings(), worker="w", max_retries=2, lease_seconds=60,
            max_attempts=1)
        return result

    # Three runs with a cap of one attempt: caught faults count as retries.
    assert [run(f"i{n}") for n in range(3)] == [
        grading_jobs.Result.RETRY, grading_jobs.Result.RETRY, grading_jobs.Result.NOT_GRADABLE]
    sub = _row(db, sub_id)
    assert (sub.grading_attempts, sub.run_failures) == (3, 3)
    assert sub.reason and sub.reason.startswith("infrastructure fault")
    regrade.regrade_submission(db=db, catalog=catalog, queue=queue, user=author,
                               submission_id=sub_id)
    assert (_row(db, sub_id).grading_attempts, _row(db, sub_id).run_failures) == (0, 0)
    with db.session() as session:  # the fault is gone now
        session.execute(update(Submission).where(Submission.id == sub_id)
                        .values(files={"app/main.py": "PASS\n"}))
    assert run("after-regrade") is grading_jobs.Result.GRADED


def test_a_bug_in_grading_is_an_unfinished_attempt_not_an_infrastructure_retry(
    db: Database, catalog: Catalog, queue: FakeQueue
) -> None:
    # Only SandboxError is an infrastructure fault (grading_jobs.INFRA_ERRORS);
    # anything else grading raises is ours: counted like a failed recording.
    user = accounts.create_user(db=db, name="sam", role=Role.STUDENT)
    sub_id = _submit(db, catalog, queue, user, "PASS\n")

    def broken(**_: object) -> object:
        raise KeyError("a bug of ours")

    results = [grading_jobs.grade_submission(
        db=db, catalog=catalog, submission_id=sub_id, claim_id=f"b{n}", grade=broken,
        settings=Settings(), worker="w", max_retries=5, lease_seconds=60, max_attempts=2)[0]
        for n in range(3)]
    assert results == [grading_jobs.Result.RETRY, grading_jobs.Result.NOT_GRADABLE,
                       grading_jobs.Result.SKIPPED]
    sub = _row(db, sub_id)
    assert (sub.grading_attempts, sub.run_failures, sub.infra_failures) == (2, 0, 0)
    assert sub.reason and "gave up after 2 unfinished attempts" in sub.reason
    assert "grading failed: KeyError" in sub.reason
