"""The sql runner through the real sandbox: a correct-but-slow solution of each
SQL exercise (right rows, wrong plan) scores below full, and its feedback
names the measured buffers against the target. (That every reference solution
scores full marks in the sandbox is the catalogue check's, test_exercises.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercises.pack import load_pack
from grader.sandbox_grading import grade_files
from grader.settings import Settings
from grader_harness.report import Status

pytestmark = pytest.mark.docker
SQL_PACKS = Path(__file__).resolve().parents[2] / "exercises" / "sql-optimization"

# exercise -> (its correct-but-slow mutant, a test about the rows it passes,
#              the buffers test whose feedback must name buffers vs target)
SLOW = {
    "covering-index-aggregate": ("plain-created-at", "test_revenue_unchanged",
                                 "test_buffers_within_2x_of_target"),
    "hot-lookup-index": ("customer-only", "test_lookup_rows_unchanged",
                         "test_buffers_within_2x_of_target"),
    "sargable-date-filter": ("date-trunc", "test_rows_match", "test_buffers_within_2x_of_target"),
    "keyset-pagination": ("or-filter", "test_pages_match", "test_buffers_within_2x_of_target"),
    "n-plus-one-join": ("correlated-subqueries", "test_report_rows_match",
                        "test_buffers_within_2x_of_target"),
}


def test_every_sql_exercise_has_a_slow_case_here() -> None:
    assert {p.name for p in SQL_PACKS.iterdir() if (p / "exercise.toml").is_file()} <= set(SLOW)
    assert len(SLOW) >= 5


@pytest.mark.parametrize("slug", sorted(SLOW))
def test_correct_but_slow_scores_below_full_and_names_buffers(slug: str) -> None:
    pack = load_pack(SQL_PACKS / slug)
    mutant, rows_test, buffers_test = SLOW[slug]
    files = next(m.files for m in pack.mutants if m.name == mutant)
    report = grade_files(pack=pack, files=files, settings=Settings())
    assert report.status is Status.FAILED, report.message
    assert 0 < report.score < report.max_score
    by_name = {t.name: t for t in report.tests}
    assert by_name[rows_test].outcome == "passed", "the slow solution's rows are right"
    feedback = by_name[buffers_test].message or ""
    assert by_name[buffers_test].outcome == "failed"
    # "... read 642 buffers; the target is at most 12 (2x ...); most of it in: Seq Scan on ..."
    assert " buffers; the target is at most " in feedback, feedback
    assert "most of it in: " in feedback, feedback
    # The reference query itself is never shown: none of its lines is in the feedback.
    reference = (pack.solution / "query.sql")
    if reference.is_file():
        for line in reference.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("--"):
                assert line.strip() not in feedback

