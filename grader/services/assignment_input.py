"""What an assignment is made of, as callers send it (API body, form, CLI),
and the checks that name the field at fault. Times must carry a time zone:
a naive time would be read in whatever zone the server runs in, so it is
refused rather than guessed."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from grader.courses.rules import LatePolicy, ScorePolicy
from grader.services.catalog import Catalog
from grader.services.errors import Invalid, NotFound

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]")
MAX_EXERCISES = 50
MAX_ATTEMPTS = 1000  # per exercise; more is a typo, not a policy
MAX_WEIGHT = 1000.0
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ExerciseWeight(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=200)
    weight: float = 1.0


class AssignmentChanges(BaseModel):
    """A PATCH: only the fields sent change (late_until: null removes the window)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=1000)
    exercises: list[ExerciseWeight] | None = Field(None, max_length=1000)
    release_at: datetime | None = None
    due_at: datetime | None = None
    late_until: datetime | None = None
    late_policy: LatePolicy | None = None
    late_penalty: float | None = None
    max_attempts: int | None = None
    score_policy: ScorePolicy | None = None
    hide_hidden_until_due: bool | None = None
    hide_scores_until_released: bool | None = None


class AssignmentSpec(BaseModel):
    """A new assignment: everything the instructor decides."""

    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=1000)
    title: str = Field(max_length=1000)
    exercises: list[ExerciseWeight] = Field(max_length=1000)
    release_at: datetime
    due_at: datetime
    late_until: datetime | None = None
    late_policy: LatePolicy = LatePolicy.NONE
    late_penalty: float = 0.0
    max_attempts: int | None = None
    score_policy: ScorePolicy = ScorePolicy.BEST
    hide_hidden_until_due: bool = False
    hide_scores_until_released: bool = False


def aware(name: str, value: datetime | None) -> datetime | None:
    """The time in UTC; Invalid naming the field for a naive one."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"{name}: give a time zone, e.g. 2026-05-01T12:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"{name}: out of range") from None


def text_field(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"{name}: must not be empty")
    if len(value) > limit:
        raise Invalid(f"{name}: at most {limit} characters")
    if CONTROL.search(value):
        raise Invalid(f"{name}: control characters are not allowed")
    return value


def check_slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise Invalid("slug: 2-64 characters of a-z, 0-9 and '-', starting and ending "
                      "with a letter or digit")
    return value


def check_spec(spec: AssignmentSpec, catalog: Catalog) -> AssignmentSpec:
    """The spec with its times in UTC and its text trimmed, or Invalid naming
    every field at fault."""
    problems: list[str] = []
    values = spec.model_dump()
    for name in ("release_at", "due_at", "late_until"):
        try:
            values[name] = aware(name, getattr(spec, name))
        except Invalid as exc:
            problems.append(exc.message)
            values[name] = None  # not compared below
    try:
        values["title"] = text_field("title", spec.title, 200)
    except Invalid as exc:
        problems.append(exc.message)
    problems += _exercise_problems(spec.exercises, catalog)
    release, due, late = values["release_at"], values["due_at"], values["late_until"]
    if release is not None and due is not None and due <= release:
        problems.append("due_at: must be after release_at")
    if late is not None and due is not None and late < due:
        problems.append("late_until: must not be before due_at")
    penalty = spec.late_penalty
    if not math.isfinite(penalty) or not 0.0 <= penalty <= 1.0:
        problems.append("late_penalty: a fraction from 0 to 1 (0.1 is 10 % off)")
    if spec.max_attempts is not None and not 1 <= spec.max_attempts <= MAX_ATTEMPTS:
        problems.append(f"max_attempts: from 1 to {MAX_ATTEMPTS}, or none for unlimited")
    if problems:
        raise Invalid("; ".join(problems))
    return AssignmentSpec.model_validate(values)


def _exercise_problems(rows: list[ExerciseWeight], catalog: Catalog) -> list[str]:
    if not rows:
        return ["exercises: give at least one exercise"]
    if len(rows) > MAX_EXERCISES:
        return [f"exercises: at most {MAX_EXERCISES}"]
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        shown = CONTROL.sub("?", row.slug)[:64]
        if row.slug in seen:
            problems.append(f"exercises: {shown!r} is listed twice")
        seen.add(row.slug)
        try:
            catalog.get(row.slug)
        except NotFound:
            problems.append(f"exercises: no exercise {shown!r} in the catalogue")
        if not math.isfinite(row.weight) or not 0 < row.weight <= MAX_WEIGHT:
            problems.append(f"exercises: the weight of {shown!r} must be over 0 and at "
                            f"most {MAX_WEIGHT:g}")
    return problems
