"""Forged efficiency through the real sandbox: each SQL exercise's correct-but-slow
mutant, given a gate that could tell a measured execution from a graded one
(its own statement text, the activity views, prepared statements, advisory
locks, random(), the clock, transaction ids), must not score more than the
same mutant without the gate.

Before auto_explain (issue 9) the rows came from one execution and the
buffers from a second, `EXPLAIN (ANALYZE, BUFFERS)` of the same text, so a
condition false only under EXPLAIN gave a never-executed plan, 0 buffers and
full efficiency points (n-plus-one-join 7/11 -> 11/11). Now one execution
gives both, and the student's role may not call any of these gates."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from grader.exercises.pack import load_pack
from grader.sandbox_grading import grade_files
from grader.settings import Settings
from grader_harness.report import Report, Status

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SQL_PACKS = Path(__file__).resolve().parents[2] / "exercises" / "sql-optimization"

# The exercises where the student writes the query, and their slowest mutant.
QUERY_EXERCISES = {
    "sargable-date-filter": "date-trunc",
    "keyset-pagination": "or-filter",
    "n-plus-one-join": "correlated-subqueries",
}
# Each a boolean that is true when graded and could be made false when measured
# (a scalar subquery: the planner makes it a one-time filter, so "false" means
# a plan that never runs, as in the review's reproduction).
GATES = {
    "statement text": "(SELECT current_query() NOT ILIKE '%explain%')",
    "activity view": "(SELECT bool_and(query NOT ILIKE '%explain%') FROM pg_stat_activity)",
    "prepared statements": "(SELECT count(*) = 0 FROM pg_prepared_statements "
                           "WHERE statement ILIKE '%explain%')",
    "advisory lock counter": "(SELECT pg_try_advisory_lock(7) OR pg_advisory_unlock(7))",
    "random": "(SELECT random() < 2)",
    "clock": "(SELECT clock_timestamp() >= statement_timestamp())",
    "transaction id": "(SELECT txid_current_if_assigned() IS NULL)",
    "backend pid": "(SELECT pg_backend_pid() > 0)",
}  # fmt: skip
# Index files cannot hold a gate at all: an index predicate must be IMMUTABLE.
INDEX_EXERCISES = {
    "hot-lookup-index": ("customer-only", "CREATE INDEX gated ON orders (customer_id) "
                                          "WHERE random() < 2;\n"),
    "covering-index-aggregate": ("plain-created-at", "CREATE INDEX gated ON orders (created_at) "
                                                     "WHERE current_query() IS NOT NULL;\n"),
}  # fmt: skip


def gated(query: str, gate: str) -> str:
    """The mutant with `gate` ANDed to its top-level WHERE clause (on a line of its own)."""
    assert query.count("\nWHERE ") == 1 and query.count("\nORDER BY") == 1, query
    return query.replace("\nWHERE ", f"\nWHERE {gate} AND (").replace("\nORDER BY", ")\nORDER BY")


def mutant_files(slug: str, mutant: str) -> dict[str, str]:
    """The mutant's submission (solution/ with its patch applied, or its folder)."""
    return dict(next(m.files for m in load_pack(SQL_PACKS / slug).mutants if m.name == mutant))


@cache
def grade(slug: str, mutant: str, replaced: tuple[tuple[str, str], ...] = ()) -> Report:
    pack = load_pack(SQL_PACKS / slug)
    files = mutant_files(slug, mutant)
    files.update(dict(replaced))
    return grade_files(pack=pack, files=files, settings=Settings())


def passed(report: Report) -> set[str]:
    return {t.name for t in report.tests if t.outcome == "passed"}


def test_gated_queries_are_valid_sql_around_each_mutant() -> None:
    for slug, mutant in QUERY_EXERCISES.items():
        text = mutant_files(slug, mutant)["query.sql"]
        out = gated(text, "(SELECT true)")
        assert out.count("(") == text.count("(") + 2 and "WHERE (SELECT true) AND (" in out


@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("slug", sorted(QUERY_EXERCISES))
def test_a_gate_gains_nothing_on_the_slow_query(slug: str, gate: str) -> None:
    mutant = QUERY_EXERCISES[slug]
    plain = grade(slug, mutant)
    assert plain.status is Status.FAILED and 0 < plain.score < plain.max_score, plain.message
    text = mutant_files(slug, mutant)["query.sql"]
    forged = grade(slug, mutant, (("query.sql", gated(text, GATES[gate])),))
    assert forged.score <= plain.score, [(t.name, t.outcome, t.message) for t in forged.tests]
    assert passed(forged) <= passed(plain)
    # Refused, and said so: the student's query failed, not the grader.
    assert forged.status is not Status.PASSED
    errored = [t for t in forged.tests if t.outcome in ("error", "failed")]
    assert errored and all("internal" not in (t.message or "").lower() for t in errored)


@pytest.mark.parametrize("slug", sorted(INDEX_EXERCISES))
def test_a_gate_in_an_index_file_gains_nothing(slug: str) -> None:
    mutant, extra = INDEX_EXERCISES[slug]
    plain = grade(slug, mutant)
    text = mutant_files(slug, mutant)["indexes.sql"]
    forged = grade(slug, mutant, (("indexes.sql", text + extra),))
    assert forged.score <= plain.score and passed(forged) <= passed(plain)
    assert forged.status is Status.ERROR, forged.message
