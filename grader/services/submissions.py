"""Submitting, reading and listing submissions (the student's side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from grader.db import Database, Grading, Role, Submission, SubmissionStatus, User, utcnow
from grader.exercises.submission import SubmissionError, check_files
from grader.services import assignment_submissions, callback_policy, submit_caches
from grader.services.callback_policy import CallbackPolicy
from grader.services.catalog import Catalog
from grader.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
)
from grader.services.queue import Queue
from grader.services.ratelimit import RateLimiter
from grader.services.submission_insert import insert_submission
from grader.services.views import SubmissionView, submission_view


@dataclass(frozen=True)
class SubmissionCaps:
    """The service's caps on one submission: the queue's depth and the upload's size."""

    queue_max_depth: int
    max_submission_bytes: int


@dataclass(frozen=True)
class NewSubmission:
    """A submission as an edge received it, not yet checked: the API's JSON or
    upload, or the submit page's form."""

    user: User
    exercise: str  # the slug
    files: dict[str, str]  # path -> text
    callback_url: str | None = None
    idempotency_key: str | None = None
    assignment: str | None = None  # "course-slug/assignment-slug"; None: practice
    # When the request arrived (grader.http.arrival), stamped by the server
    # before it waited for anything; None: now.
    received_at: datetime | None = None


def sees_all(user: User) -> bool:
    return bool(Role(user.role).sees_all)


def _check_callback(url: str | None, user: User, policy: CallbackPolicy | None) -> str | None:
    """Webhooks are for integrations: their receivers verify signatures with the
    server's own key, which students never have, and each one is a request from
    inside the service's network. So only authors and admins set them, and the
    target must pass the address policy (checked again at delivery)."""
    if not url:
        return None
    if not sees_all(user):
        raise Forbidden("callback_url can only be set with an author's or admin's token; "
                        "follow a submission with GET /submissions/{id} or its events stream")
    callback_policy.check(url, policy=policy or CallbackPolicy())
    return url


def _check_text(files: dict[str, str], cap: int) -> int:
    total = 0
    for name, text in files.items():
        try:
            total += len(text.encode("utf-8"))
        except UnicodeEncodeError:  # lone surrogates from a JSON "\ud800" escape
            raise Invalid(f"file {name!r} is not UTF-8 text") from None
        if total > cap:
            raise TooLarge(f"submission is over the server's limit of {cap} bytes")
    return total


def create_submission(
    *, db: Database, catalog: Catalog, queue: Queue, limiter: RateLimiter | None,
    limits: SubmissionCaps, new: NewSubmission, callbacks: CallbackPolicy | None = None,
) -> tuple[SubmissionView, bool]:
    """Store a submission as `queued` and enqueue it. Returns (view, created);
    a retried request with the same Idempotency-Key returns the first one.
    `callbacks`: where a callback_url may point (default: public addresses only).
    Inside an assignment its rules decide on `received_at`: the server's time
    when the request arrived (new.received_at, else now), never the client's
    (services.assignment_submissions)."""
    received_at = new.received_at or utcnow()
    user, exercise, files = new.user, new.exercise, new.files
    callback_url, idempotency_key = new.callback_url, new.idempotency_key
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("Idempotency-Key must be 1-200 characters")
        earlier = _replay(db, user, idempotency_key, exercise, files)
        if earlier is not None:
            return earlier, False
    try:
        pack = catalog.get(exercise)
    except NotFound:
        raise Invalid(f"unknown exercise {exercise!r}") from None
    target = None
    if new.assignment is not None:
        target = assignment_submissions.target(db=db, user=user, ref=new.assignment,
                                               exercise=exercise)
    files_bytes = _check_text(files, limits.max_submission_bytes)
    try:
        checked = check_files(files, pack.manifest.submission)
    except SubmissionError as exc:
        raise Invalid(str(exc)) from None
    if len(checked) != len(files):  # two names normalised to one: the texts differ
        files_bytes = sum(len(text.encode("utf-8")) for text in checked.values())
    files = checked
    callback_url = _check_callback(callback_url, user, callbacks)
    depth = submit_caches.queue_depth(db, lambda: queued_count(db=db))
    if depth.current() >= limits.queue_max_depth:
        raise Unavailable("the grading queue is full; try again in a minute")
    if limiter is not None:
        wait = limiter.hit(str(user.id))
        if wait is not None:
            raise RateLimited(
                f"too many submissions: at most {limiter.limit} per {limiter.window} s", wait
            )
    try:
        sub = insert_submission(db=db, user=user, pack=pack, files=files,
                                files_bytes=files_bytes, callback_url=callback_url,
                                idempotency_key=idempotency_key, received_at=received_at,
                                target=target)
    except IntegrityError:
        # The same Idempotency-Key raced us from a concurrent retry: theirs won.
        earlier = _replay(db, user, idempotency_key or "", exercise, files)
        if earlier is None:
            raise
        return earlier, False
    depth.added()
    if not queue.enqueue(sub.id, exercise=pack.slug, runner=str(pack.manifest.runner)):
        mark_enqueued(db=db, ids=[sub.id], enqueued=False)
    if target is not None:  # the assignment's rules shape what a student sees
        return get_submission(db=db, user=user, submission_id=sub.id), True
    # Practice: the row just written is the answer; reading it back cost a
    # query per POST (and showed nothing the insert did not know).
    return submission_view(sub, [], author=sees_all(user)), True


def _replay(
    db: Database, user: User, key: str, exercise: str, files: dict[str, str]
) -> SubmissionView | None:
    """The submission an earlier request with this key created, if any."""
    with db.reading() as session:  # a read: no write lock
        sub = session.scalar(
            select(Submission).where(Submission.user_id == user.id,
                                     Submission.idempotency_key == key)
        )
        if sub is None:
            return None
        if sub.exercise_slug != exercise or sub.files != files:
            raise Conflict("Idempotency-Key was already used for a different request")
        return submission_view(sub)


def mark_enqueued(*, db: Database, ids: list[str], enqueued: bool = True) -> None:
    """Record when ids went on the queue (or that they did not: the sweep's cue)."""
    with db.session() as session:
        for sub in session.scalars(select(Submission).where(Submission.id.in_(ids))):
            sub.enqueued_at = utcnow() if enqueued else None


def queued_count(*, db: Database) -> int:
    with db.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(Submission)
            .where(Submission.status == SubmissionStatus.QUEUED)
        )
        return int(count or 0)


def get_submission(*, db: Database, user: User, submission_id: str) -> SubmissionView:
    """The submission if the caller may see it; NotFound otherwise (a student
    cannot tell another student's id from a missing one)."""
    with db.reading() as session:
        sub = session.get(Submission, submission_id)
        known = assignment_submissions.readers(session, user)
        if sub is None or not known.may_read(sub.user_id, sub.assignment_id,
                                             sees_all=sees_all(user)):
            raise NotFound(f"no submission {submission_id!r}")
        history = session.scalars(
            select(Grading).where(Grading.submission_id == sub.id).order_by(Grading.id)
        ).all()
        return known.view(sub, list(history), sees_all=sees_all(user))


def list_submissions(
    *, db: Database, user: User, exercise: str | None = None, limit: int = 50, offset: int = 0,
    assignment: str | None = None,
) -> list[SubmissionView]:
    """The caller's own submissions, newest first; authors and admins see all,
    course staff also those made in their courses' assignments. `assignment`
    ("course/assignment"): only those made there."""
    query = select(Submission).order_by(Submission.queued_at.desc(), Submission.id)
    if not sees_all(user):
        query = query.where(or_(
            Submission.user_id == user.id,
            Submission.assignment_id.in_(assignment_submissions.staff_assignments(user))))
    if exercise is not None:
        query = query.where(Submission.exercise_slug == exercise)
    with db.reading() as session:
        if assignment is not None:
            query = query.where(Submission.assignment_id == assignment_submissions.assignment_id(
                session, ref=assignment, user=user))
        known = assignment_submissions.readers(session, user)
        rows = session.scalars(query.limit(limit).offset(offset)).unique().all()
        return [known.view(sub, sees_all=sees_all(user)) for sub in rows]


def submission_status(*, db: Database, user: User, submission_id: str) -> SubmissionStatus:
    """Just the status (for the events stream's polling), with the same access rule."""
    with db.reading() as session:
        row = session.execute(
            select(Submission.status, Submission.user_id, Submission.assignment_id)
            .where(Submission.id == submission_id)
        ).first()
        allowed = row is not None and assignment_submissions.readers(session, user).may_read(
            row.user_id, row.assignment_id, sees_all=sees_all(user))
    if row is None or not allowed:
        raise NotFound(f"no submission {submission_id!r}")
    return SubmissionStatus(row.status)
