"""Assignments: created and changed by a course's instructors, read by its
members with the caller's own rules (deadlines after their extension,
attempts used and left per exercise). The input and its checks are in
services.assignment_input; extensions in services.extensions.

A change to the deadlines or the late policy reprices the late penalties
already stored (`reprice`), always from each submission's received_at, so
nothing is judged on when it happened to be graded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.courses import rules
from grader.db import (
    Assignment,
    AssignmentExercise,
    Database,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from grader.services import lti_marks
from grader.services.assignment_input import (
    AssignmentChanges,
    AssignmentSpec,
    ExerciseWeight,
    check_slug,
    check_spec,
)
from grader.services.assignment_views import AssignmentView, assignment_view, extension_view
from grader.services.catalog import Catalog
from grader.services.course_access import (
    CourseAccess,
    course_access,
    instructor_access,
    latest_extension,
    student_rules,
)
from grader.services.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True)
class Found:
    access: CourseAccess
    assignment: Assignment


def find(session: Session, *, course: str, slug: str, user: User,
         unreleased: bool = False) -> Found:
    """The assignment if the caller may see it: members see released ones,
    staff all of them; NotFound otherwise. `unreleased`: members find those
    too (submitting says when one opens rather than that it does not exist)."""
    access = course_access(session, course, user)
    row = session.scalar(select(Assignment).where(
        Assignment.course_id == access.course.id, Assignment.slug == slug))
    hidden = not (access.staff or unreleased) and row is not None and row.release_at > utcnow()
    if row is None or hidden:
        raise NotFound(f"no assignment {slug!r} in course {course!r}")
    return Found(access, row)


def attempts_used(session: Session, assignment_id: int, user_id: int) -> dict[str, int]:
    """Per exercise: the user's submissions here that did not end not_gradable
    (queued and running ones count: they will cost an attempt)."""
    rows = session.execute(
        select(Submission.exercise_slug, func.count()).where(
            Submission.assignment_id == assignment_id, Submission.user_id == user_id,
            Submission.status != SubmissionStatus.NOT_GRADABLE.value,
        ).group_by(Submission.exercise_slug)).all()
    return {slug: int(count) for slug, count in rows}


def _view(session: Session, found: Found, user: User, catalog: Catalog) -> AssignmentView:
    assignment = found.assignment
    extension = latest_extension(session, assignment.id, user.id)
    shown = None
    if extension is not None:
        granter = session.get(User, extension.granted_by) if extension.granted_by else None
        shown = extension_view(extension, student=user.name,
                               granted_by=granter.name if granter else None)
    return assignment_view(
        assignment, course=found.access.course.slug, staff=found.access.staff,
        own=student_rules(assignment, extension), extension=shown,
        used=attempts_used(session, assignment.id, user.id), now=utcnow(),
        titles={slug: pack.manifest.title for slug, pack in catalog.packs().items()})


def _store(assignment: Assignment, spec: AssignmentSpec) -> None:
    for name in ("title", "release_at", "due_at", "late_until", "late_penalty",
                 "max_attempts", "hide_hidden_until_due", "hide_scores_until_released"):
        setattr(assignment, name, getattr(spec, name))
    assignment.late_policy = spec.late_policy.value
    assignment.score_policy = spec.score_policy.value
    kept = {row.exercise_slug: row for row in assignment.exercises}
    rows = []
    for position, item in enumerate(spec.exercises):
        row = kept.get(item.slug) or AssignmentExercise(exercise_slug=item.slug)
        row.weight, row.position = item.weight, position
        rows.append(row)
    assignment.exercises = rows


def create_assignment(*, db: Database, catalog: Catalog, user: User, course: str,
                      spec: AssignmentSpec) -> AssignmentView:
    """Instructors only (Forbidden for assistants and students)."""
    check_slug(spec.slug)
    spec = check_spec(spec, catalog)
    try:
        with db.session() as session:
            access = instructor_access(session, course, user)
            assignment = Assignment(course_id=access.course.id, slug=spec.slug,
                                    created_by=user.id)
            _store(assignment, spec)
            session.add(assignment)
            session.flush()
    except IntegrityError:
        raise Conflict(f"slug: course {course!r} already has an assignment "
                       f"{spec.slug!r}") from None
    return get_assignment(db=db, catalog=catalog, user=user, course=course, slug=spec.slug)


def update_assignment(*, db: Database, catalog: Catalog, user: User, course: str, slug: str,
                      changes: AssignmentChanges) -> AssignmentView:
    """Instructors only. The merged assignment is checked as a whole; a change
    to the deadlines or the late policy reprices its stored penalties."""
    with db.session() as session:
        found = find(session, course=course, slug=slug, user=user)
        instructor_access(session, course, user)
        assignment = found.assignment
        current = AssignmentSpec(
            slug=assignment.slug, title=assignment.title,
            exercises=[ExerciseWeight(slug=e.exercise_slug, weight=e.weight)
                       for e in assignment.exercises],
            release_at=assignment.release_at, due_at=assignment.due_at,
            late_until=assignment.late_until, late_policy=rules.LatePolicy(
                assignment.late_policy), late_penalty=assignment.late_penalty,
            max_attempts=assignment.max_attempts,
            score_policy=rules.ScorePolicy(assignment.score_policy),
            hide_hidden_until_due=assignment.hide_hidden_until_due,
            hide_scores_until_released=assignment.hide_scores_until_released)
        merged = current.model_copy(update={
            name: getattr(changes, name) for name in changes.model_fields_set})
        spec = check_spec(AssignmentSpec.model_validate(merged.model_dump()), catalog)
        _store(assignment, spec)
        session.flush()
        reprice(session, assignment)
    return get_assignment(db=db, catalog=catalog, user=user, course=course, slug=slug)


def reprice(session: Session, assignment: Assignment, user_id: int | None = None) -> int:
    """Set every stored late_penalty of the assignment's submissions (one
    student's with `user_id`) again from its received_at and the student's
    current deadlines; returns how many changed."""
    query = select(Submission).where(Submission.assignment_id == assignment.id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    deadlines: dict[int, rules.Deadlines] = {}
    changed = 0
    for sub in session.scalars(query).unique():
        if sub.user_id not in deadlines:
            extension = latest_extension(session, assignment.id, sub.user_id)
            deadlines[sub.user_id] = student_rules(assignment, extension).deadlines
        penalty = rules.late_penalty(deadlines[sub.user_id], sub.received_at)
        if sub.late_penalty != penalty:
            sub.late_penalty = penalty
            changed += 1
    # Counted scores may have moved: LMS passbacks, enqueued by the worker's sweep.
    lti_marks.mark_changed(session, assignment_id=assignment.id,
                           user_ids=None if user_id is None else [user_id])
    return changed


def list_assignments(*, db: Database, catalog: Catalog, user: User,
                     course: str) -> list[AssignmentView]:
    """Students: the released ones; staff: all. By due date."""
    with db.reading() as session:
        access = course_access(session, course, user)
        query = select(Assignment).where(Assignment.course_id == access.course.id)
        if not access.staff:
            query = query.where(Assignment.release_at <= utcnow())
        rows = session.scalars(query.order_by(Assignment.due_at, Assignment.slug)).all()
        return [_view(session, Found(access, row), user, catalog) for row in rows]


def may_create(*, db: Database, user: User, course: str) -> bool:
    """Whether the caller is an instructor of the course (NotFound if not a member)."""
    with db.reading() as session:
        return course_access(session, course, user).role is rules.CourseRole.INSTRUCTOR


def get_assignment(*, db: Database, catalog: Catalog, user: User, course: str,
                   slug: str) -> AssignmentView:
    with db.reading() as session:
        return _view(session, find(session, course=course, slug=slug, user=user), user, catalog)


def release_grades(*, db: Database, catalog: Catalog, user: User, course: str,
                   slug: str) -> AssignmentView:
    """Instructors: students see their scores from now on (if they were held back)."""
    with db.session() as session:
        found = find(session, course=course, slug=slug, user=user)
        instructor_access(session, course, user)
        if found.assignment.grades_released_at is None:
            found.assignment.grades_released_at = utcnow()
            session.flush()  # released now: the held scores go to the LMS
            lti_marks.mark_changed(session, assignment_id=found.assignment.id)
    return get_assignment(db=db, catalog=catalog, user=user, course=course, slug=slug)


def parse_ref(ref: str) -> tuple[str, str]:
    """"course-slug/assignment-slug" -> the two slugs (Invalid otherwise)."""
    course, sep, slug = ref.partition("/")
    if not sep or not course or not slug or "/" in slug or len(ref) > 200:
        raise Invalid("assignment: give it as course-slug/assignment-slug")
    return course, slug
