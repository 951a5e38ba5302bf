"""A course's gradebook: per student and assignment the counted score, the
late flag and why, attempts and extensions; and one student's score for one
assignment (`assignment_score`, what LTI passes back), computed by the same
code. Staff see every student; a student only their own row, and "not
released" where an assignment hides scores until an instructor releases them.

Per exercise the counted attempt is rules.counted_attempt under the
assignment's score policy and the student's own due date (their newest
extension applied); an assignment's percent is rules.weighted_total over its
exercises. The course total is the plain mean of the percents of the
assignments already open and shown to the viewer: the model has no weights
per assignment. Loading is services.gradebook_load (constant queries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.courses import gradebook_csv, rules
from grader.courses.rules import Attempt, ScorePolicy
from grader.db import Assignment, Course, Database, Extension, User, utcnow
from grader.services.course_access import course_access, student_rules
from grader.services.errors import NotFound
from grader.services.gradebook_load import Loaded, load

POLICY_WORDS = {ScorePolicy.BEST: "best", ScorePolicy.LAST: "last",
                ScorePolicy.LAST_BEFORE_DUE: "last on time"}


class ExtensionMark(BaseModel):
    due_at: datetime | None
    extra_attempts: int
    text: str  # "extension to 2026-12-10 14:00 UTC, +2 attempts"


class ExerciseScore(BaseModel):
    slug: str
    weight: float
    counted: float | None  # the counted fraction after its penalty; None: never graded
    penalty: float


class AssignmentCell(BaseModel):
    assignment: str
    released: bool  # False: scores hidden from this viewer until released
    percent: float | None  # None when not released to this viewer
    late: bool  # a counted attempt lost points for lateness
    penalty: float  # the largest penalty among the counted attempts
    penalty_text: str  # "late: 10 % off"
    attempts: int  # graded submissions
    pending: int  # queued or running: they count nothing yet
    extension: ExtensionMark | None
    why: list[str]  # the rules applied, as the student reads them
    exercises: list[ExerciseScore]


class StudentRow(BaseModel):
    user_id: int
    name: str
    email: str | None
    cells: list[AssignmentCell]
    total: float | None  # mean percent of the open assignments shown


class AssignmentColumn(BaseModel):
    slug: str
    title: str
    release_at: datetime
    due_at: datetime
    score_policy: str


class Gradebook(BaseModel):
    course: str
    title: str
    staff: bool  # the viewer sees every student
    assignments: list[AssignmentColumn]
    students: list[StudentRow]


class StudentAssignmentScore(BaseModel):
    """One student's result in one assignment (LTI's grade passback)."""

    percent: float  # 0-100
    counted: dict[str, float | None]  # exercise slug -> counted fraction
    late: bool
    released: bool  # scores may be shown to the student


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _extension(grant: Extension | None) -> ExtensionMark | None:
    if grant is None or (grant.due_at is None and not grant.extra_attempts):
        return None
    parts = [f"extension to {_when(grant.due_at)}"] if grant.due_at else []
    if grant.extra_attempts:
        parts.append(f"+{grant.extra_attempts} attempts")
    return ExtensionMark(due_at=grant.due_at, extra_attempts=grant.extra_attempts,
                         text=", ".join(parts))


def scores_hidden(assignment: Assignment) -> bool:
    return assignment.hide_scores_until_released and assignment.grades_released_at is None


@dataclass(frozen=True)
class Plan:
    """One assignment's rules read once per gradebook, not once per student
    (ORM attribute reads add up over a thousand cells)."""

    assignment: Assignment
    slug: str
    items: tuple[tuple[str, float], ...]  # (exercise slug, weight)
    policy: ScorePolicy
    due_at: datetime  # without an extension
    hidden: bool  # scores hidden from students until released


def plan(assignment: Assignment) -> Plan:
    return Plan(assignment, assignment.slug,
                tuple((e.exercise_slug, e.weight) for e in assignment.exercises),
                ScorePolicy(assignment.score_policy), assignment.due_at,
                scores_hidden(assignment))


def score_cell(assignment: Assignment | Plan, *, extension: Extension | None,
               attempts: Mapping[str, Sequence[Attempt]], pending: int = 0,
               staff: bool = True) -> AssignmentCell:
    """One student's cell: pure, from the assignment, their newest grant and
    their graded attempts per exercise slug."""
    rule = assignment if isinstance(assignment, Plan) else plan(assignment)
    due_at = rule.due_at if extension is None else \
        student_rules(rule.assignment, extension).deadlines.due_at
    exercises, used = [], 0
    for slug, weight in rule.items:
        tries = attempts.get(slug, ())
        used += len(tries)
        chosen = rules.counted_attempt(tries, rule.policy, due_at) if tries else None
        exercises.append(ExerciseScore(
            slug=slug, weight=weight, counted=chosen.counted if chosen else None,
            penalty=chosen.penalty if chosen else 0.0))
    penalty = max((e.penalty for e in exercises), default=0.0)
    released = staff or not rule.hidden
    mark = _extension(extension)
    why = [f"{POLICY_WORDS[rule.policy]} of {used} attempt{'s' if used != 1 else ''}"]
    if penalty > 0:
        why.append(rules.describe_penalty(penalty))
    if mark is not None:
        why.append(mark.text)
    if pending:
        why.append(f"{pending} still being graded (not counted yet)")
    if not released:
        why.append("not released yet")
    percent = rules.weighted_total([(e.weight, e.counted) for e in exercises])
    return AssignmentCell(
        assignment=rule.slug, released=released, percent=percent if released else None,
        late=penalty > 0 and released, penalty=penalty if released else 0.0,
        penalty_text=rules.describe_penalty(penalty) if released else "",
        attempts=used, pending=pending, extension=mark, why=why,
        exercises=exercises if released else [])


def _total(cells: Sequence[AssignmentCell], opened: Sequence[bool]) -> float | None:
    shown = [c.percent for c, is_open in zip(cells, opened, strict=True)
             if is_open and c.percent is not None]
    return round(sum(shown) / len(shown), 2) if shown else None


def build(loaded: Loaded, *, course: Course, staff: bool, now: datetime) -> Gradebook:
    """The gradebook from what gradebook_load loaded (no queries)."""
    # Students never see an assignment before it opens (as services.assignments.find).
    columns = [a for a in loaded.assignments if staff or a.release_at <= now]
    opened = [a.release_at <= now for a in columns]
    plans = [(a.id, plan(a)) for a in columns]
    rows = []
    for student in loaded.students:
        uid = student.user_id
        cells = [score_cell(
            rule, extension=loaded.extensions.get((aid, uid)),
            attempts=loaded.attempts.get((uid, aid), {}),
            pending=loaded.pending.get((uid, aid), 0), staff=staff) for aid, rule in plans]
        rows.append(StudentRow(
            user_id=uid, name=student.name, email=student.email, cells=cells,
            total=_total(cells, opened)))
    return Gradebook(
        course=course.slug, title=course.title, staff=staff, students=rows,
        assignments=[AssignmentColumn(slug=a.slug, title=a.title, release_at=a.release_at,
                                      due_at=a.due_at, score_policy=a.score_policy)
                     for a in columns])


def course_gradebook(*, db: Database, slug: str, user: User,
                     now: datetime | None = None) -> Gradebook:
    """The gradebook as `user` may see it: staff every student, a student
    their own row (NotFound for anyone not in the course)."""
    with db.reading() as session:
        access = course_access(session, slug, user)
        loaded = load(session, course_id=access.course.id,
                      user_id=None if access.staff else user.id)
        return build(loaded, course=access.course, staff=access.staff, now=now or utcnow())


def export_gradebook(*, db: Database, slug: str, now: datetime | None = None) -> Gradebook:
    """The whole gradebook, for the command line (which acts as admin)."""
    with db.reading() as session:
        course = session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            raise NotFound(f"no course {slug!r}")
        return build(load(session, course_id=course.id), course=course, staff=True,
                     now=now or utcnow())


def assignment_score(session: Session, *, assignment: Assignment,
                     user_id: int) -> StudentAssignmentScore | None:
    """The student's score in the assignment by the gradebook's own code;
    None if they are not a student of its course or never had a graded
    attempt there (nothing to pass back yet)."""
    loaded = load(session, course_id=assignment.course_id, user_id=user_id,
                  assignment_id=assignment.id)
    attempts = loaded.attempts.get((user_id, assignment.id))
    if not loaded.students or not attempts:
        return None
    cell = score_cell(assignment, extension=loaded.extensions.get((assignment.id, user_id)),
                      attempts=attempts)
    return StudentAssignmentScore(
        percent=cell.percent or 0.0, late=cell.late, released=not scores_hidden(assignment),
        counted={e.slug: e.counted for e in cell.exercises})


def as_csv(book: Gradebook) -> str:
    """The gradebook as the spreadsheet file of courses.gradebook_csv."""
    rows = [gradebook_csv.CsvRow(
        name=row.name, email=row.email, total=row.total,
        cells=[gradebook_csv.CsvCell(percent=c.percent, late=c.penalty_text, attempts=c.attempts,
                                     extension=c.extension.text if c.extension else "")
               for c in row.cells]) for row in book.students]
    return gradebook_csv.render([a.slug for a in book.assignments], rows)
