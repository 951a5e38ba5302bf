"""What the regrade preview tests share: a grading of "the new version" that
scores differently from tests.helpers.service_fakes.fake_grade, a queue that
takes previews, and the grade-with-a-function helper."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from grader.db import Database, Grading, Submission
from grader.exercises.submission import SubmissionError
from grader.services import grading_jobs
from grader.services.catalog import Catalog
from grader.settings import Settings
from grader_harness.report import Report
from tests.helpers.service_fakes import FakeQueue, fake_grade


def new_version_grade(*, pack: Any, files: dict[str, str], settings: Any = None) -> Report:
    """The exercise's next version: what fake_grade gave full marks gets half
    and the other way round; REFUSE: its files are refused now."""
    source = files.get("app/main.py", "")
    if "REFUSE" in source:
        raise SubmissionError("app/main.py: not allowed any more")
    flipped = source.replace("PASS", "WAS") if "PASS" in source else source + "\nPASS"
    return fake_grade(pack=pack, files={**files, "app/main.py": flipped}, settings=settings)


@dataclass
class PreviewFakeQueue(FakeQueue):
    previews: list[int] = field(default_factory=list)

    def enqueue_regrade_preview(self, preview_id: int) -> bool:
        self.previews.append(preview_id)
        return self.up


def settings_for(root: Path) -> Settings:
    return Settings(exercises_dir=root / "exercises", data_dir=root / "data",
                    database_url=f"sqlite:///{root / 'unused.db'}")


def grade_with(db: Database, catalog: Catalog, root: Path, sub_id: str,
               grade: Any = fake_grade, claim: str = "c") -> grading_jobs.Result:
    result, _ = grading_jobs.grade_submission(
        db=db, catalog=catalog, submission_id=sub_id, claim_id=f"{claim}-{sub_id}", grade=grade,
        settings=settings_for(root), worker="test", max_retries=0, lease_seconds=60)
    return result


def stored(db: Database) -> tuple[int, list[tuple[Any, ...]]]:
    """Every grading counted and every submission's recorded state."""
    with db.reading() as session:
        gradings = int(session.scalar(select(func.count()).select_from(Grading)) or 0)
        subs = session.execute(select(
            Submission.id, Submission.status, Submission.current_grading_id,
            Submission.exercise_id, Submission.attempt_number, Submission.finished_at,
            Submission.tries, Submission.reason).order_by(Submission.id)).all()
    return gradings, [tuple(row) for row in subs]
