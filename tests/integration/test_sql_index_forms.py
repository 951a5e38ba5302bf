"""Every form of CREATE INDEX a student may write gets full marks, through the
real sandbox: the statement checks read PostgreSQL's grammar (pglast), so an
unnamed index, quoted names, the student's own schema written out and a
literal holding SQL keywords are what they are. Another schema is refused
with a message that says what is allowed; a hidden test's parameters never
reach its message through a database error."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercises.pack import ExercisePack, load_pack
from grader.sandbox_grading import grade_files
from grader.settings import Settings
from grader_harness.report import Report, Status

pytestmark = pytest.mark.docker
SQL_PACKS = Path(__file__).resolve().parents[2] / "exercises" / "sql-optimization"

# hot-lookup-index: the app's lookup filters customer_id and status = 'open',
# newest first. Each of these serves it as well as the reference's index.
FORMS = {
    "unnamed": "CREATE INDEX ON orders (customer_id, status, created_at);\n",
    "quoted": 'CREATE INDEX "Lookup ""Idx""" ON "orders" '
              '("customer_id", "status", "created_at");\n',
    "own-schema": "create index if not exists lookup on main.orders "
                  "(customer_id, status, created_at desc);\n",
    # A partial index whose literal holds keywords and a semicolon: the regular
    # expressions refused it ("'drop' is not allowed").
    "literal-with-keywords": "-- open orders only; drop the rest\n"
                             "CREATE INDEX open_lookup ON orders (customer_id, created_at) "
                             "WHERE status IN ('open', 'do not ship; drop table orders');\n",
}


@pytest.fixture(scope="module")
def pack() -> ExercisePack:
    return load_pack(SQL_PACKS / "hot-lookup-index")


def grade(pack: ExercisePack, indexes: str) -> Report:
    return grade_files(pack=pack, files={"indexes.sql": indexes}, settings=Settings())


@pytest.mark.parametrize("form", sorted(FORMS))
def test_valid_index_form_gets_full_marks(pack: ExercisePack, form: str) -> None:
    report = grade(pack, FORMS[form])
    failing = {t.name: t.message for t in report.tests if t.outcome != "passed"}
    assert report.status is Status.PASSED, (report.message, failing)
    assert report.score == report.max_score


def test_another_schema_is_refused_saying_what_is_allowed(pack: ExercisePack) -> None:
    report = grade(pack, "CREATE INDEX ON public.orders (customer_id, status, created_at);\n")
    assert report.status is Status.ERROR and report.score == 0
    assert report.message == (
        "your indexes.sql was refused: indexes.sql, statement 1: the schema 'public' is not "
        "yours; name the table orders or main.orders (your tables' schema)"
    )


def test_a_hidden_tests_parameters_never_reach_its_message() -> None:
    # The query fails on purpose with PostgreSQL's text quoting the date the
    # test passed ('x2024-01-01' is not a date): hidden tests say only the class.
    pack = load_pack(SQL_PACKS / "sargable-date-filter")
    query = ("SELECT id, total, created_at FROM orders "
             "WHERE created_at::date = ('x' || $1::text)::date ORDER BY id")  # fmt: skip
    report = grade_files(pack=pack, files={"query.sql": query}, settings=Settings())
    hidden = [t for t in report.tests if t.visibility == "hidden" and t.outcome == "failed"]
    assert hidden
    for test in hidden:
        assert test.message is None or "x20" not in test.message, test.message
        assert test.message is None or test.message.endswith("(SQLSTATE class 22)"), test.message
    public = [t for t in report.tests if t.visibility == "public"]
    leak = 'invalid input syntax for type date: "x2024-03-15"'  # public: the README's day
    assert public and leak in (public[0].message or ""), public
