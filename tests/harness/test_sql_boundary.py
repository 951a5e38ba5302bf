"""The sql runner's real boundaries, through the harness on the host.

1. PostgreSQL is the security boundary, not the statement checks: with the
   checks bypassed, the roles the student's SQL runs as are refused by the
   database itself (escaped names included).
2. Hidden tests never show PostgreSQL's error text: a query that makes an
   error quote a hidden parameter or a row shows only the SQLSTATE class;
   public tests keep the text.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.host_harness import harness_argv, request, run_harness, sql_template

# docker: a real PostgreSQL 15 server (no Docker), so not in the fast loop (tests/conftest.py).
pytestmark = pytest.mark.docker

GOLDEN = Path(__file__).resolve().parent / "golden" / "sql_pass"
OPTIONS = {"datasets": ["main", "alt"], "index_files": ["indexes.sql"], "max_indexes": 2}

# Each runs as a hidden test inside the harness, on the roles' own connections.
BOUNDARY_TESTS = '''
import pytest

# (statement, SQLSTATE): 42501 is insufficient_privilege.
OWNER_REFUSED = [
    ('CREATE INDEX evil ON U&"\\\\0072eference_main".items (price)', "42501"),
    ("CREATE INDEX evil ON reference_alt.items (price)", "42501"),
    ("ALTER ROLE CURRENT_USER SUPERUSER", "42501"),
    ("COPY main.items TO PROGRAM 'id'", "42501"),
    ("COPY main.items TO '/tmp/stolen'", "42501"),
    ("SELECT pg_read_file('PG_VERSION')", "42501"),
    ("CREATE SCHEMA evil", "42501"),
    ("SELECT count(*) FROM reference_alt.items", "42501"),
    ("SELECT set_config('work_mem', '1GB', false)", "42501"),
    ("SET ROLE student_sql", "42501"),
    # Past the grammar, the server's rules for indexes: immutable expressions only.
    ("CREATE INDEX ON main.items ((random() > 0.5))", "42P17"),
]


@pytest.mark.parametrize(("text", "sqlstate"), OWNER_REFUSED)
def test_owner_role_is_refused_by_postgresql(sql, text, sqlstate):
    owner = sql.session._conns["owner"]
    try:
        owner.execute(text)
    except Exception as exc:
        assert exc.sqlstate == sqlstate, f"{exc.sqlstate}: {exc}"
    else:
        raise AssertionError(f"the index role ran {text}")
    finally:
        owner.rollback()


@pytest.mark.parametrize("text", [
    "WITH gone AS (DELETE FROM items RETURNING id) SELECT count(*) FROM gone",
    "SELECT count(*) FROM U&\\"\\\\0072eference_main\\".items",
    "SELECT set_config('enable_seqscan', 'off', false)",
])
def test_query_role_is_refused_by_postgresql(sql, text):
    # sql.query skips the file checks: the database alone refuses.
    try:
        sql.query(text)
    except Exception as exc:
        assert "permission denied" in str(exc) or "read-only transaction" in str(exc), str(exc)
    else:
        raise AssertionError(f"the query role ran {text}")
'''

LEAKS = '''
def test_cast_quotes_a_parameter(sql):
    sql.student("cast.sql", params=[4242])


def test_subquery_quotes_a_row(sql):
    sql.student("row.sql")


def test_regclass_quotes_a_parameter(sql):
    sql.student("regclass.sql", params=["secret_4242"])


def test_exercise_query_quotes_a_parameter(sql):
    sql.query("SELECT ('x' || $1)::int", params=[4242], dataset="alt")
'''
HOSTILE = {
    "cast.sql": "SELECT id FROM items WHERE id = (SELECT ('x' || $1)::int)",
    "row.sql": "SELECT ('x' || (SELECT price || '-' || id FROM items ORDER BY id LIMIT 1))::int",
    "regclass.sql": "SELECT $1::text::regclass",
}
# What the errors above would print: the parameters and the first row (37-1).
SECRETS = ("4242", "x37-1", "secret_")


@pytest.fixture(scope="module")
def case() -> Iterator[Path]:
    # Not under pytest's 0700 tmp folders: the postgres user must reach the cluster.
    root = Path(tempfile.mkdtemp(prefix="grader-sql-boundary-"))
    root.chmod(0o755)
    for folder in ("data", "reference"):
        shutil.copytree(GOLDEN / folder, root / folder)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def grade(case: Path, tmp_path: Path, tests: dict[str, str], public: dict[str, str],
          files: dict[str, str], policy: str) -> dict:  # type: ignore[type-arg]
    for folder, content in (("tests", tests), ("public_tests", public)):
        shutil.rmtree(case / folder, ignore_errors=True)
        (case / folder).mkdir()
        for name, text in content.items():
            (case / folder / name).write_text(text)
    template = sql_template(case / "data", case / "reference", OPTIONS, case / "clusters")
    argv = [*harness_argv(case / "tests", tmp_path / "submission"),
            "--reference", str(case / "reference"), "--sql-template", str(template)]
    stdin = request(files, runner="sql", options=OPTIONS, wall_seconds=30,
                    call_timeout_seconds=5, hidden_messages=policy)
    proc = run_harness(argv, stdin, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_postgresql_refuses_what_the_checks_would_have(case: Path, tmp_path: Path) -> None:
    (case / "clusters").mkdir(mode=0o755, exist_ok=True)
    files = {"query.sql": (GOLDEN / "submission" / "query.sql").read_text(), "indexes.sql": ""}
    report = grade(case, tmp_path, {"test_boundary.py": BOUNDARY_TESTS}, {}, files, "full")
    failed = {t["name"]: t["message"] for t in report["tests"] if t["outcome"] != "passed"}
    assert len(report["tests"]) == 14 and not failed, json.dumps(failed, indent=1)


@pytest.mark.parametrize("policy", ["author", "full"])
def test_hidden_tests_show_the_error_class_never_the_text(case: Path, tmp_path: Path,
                                                          policy: str) -> None:  # fmt: skip
    (case / "clusters").mkdir(mode=0o755, exist_ok=True)
    public = {"test_public.py": "def test_public_cast(sql):\n"
                                "    sql.student('cast.sql', params=[4242])\n"}  # fmt: skip
    report = grade(case, tmp_path, {"test_leaks.py": LEAKS}, public, HOSTILE, policy)
    messages = {t["name"]: t["message"] for t in report["tests"]}
    assert messages.pop("test_public_cast") is not None  # checked below
    assert messages == {
        "test_cast_quotes_a_parameter":
            "your cast.sql failed on dataset 'main': data exception (SQLSTATE class 22)",
        "test_subquery_quotes_a_row":
            "your row.sql failed on dataset 'main': data exception (SQLSTATE class 22)",
        "test_regclass_quotes_a_parameter": "your regclass.sql failed on dataset 'main': "
                                            "syntax error or access rule violation "
                                            "(SQLSTATE class 42)",
        "test_exercise_query_quotes_a_parameter":
            "the exercise's query failed on dataset 'alt': data exception (SQLSTATE class 22)",
    }  # fmt: skip
    hidden = json.dumps([t for t in report["tests"] if t["visibility"] == "hidden"])
    assert not any(secret in hidden for secret in SECRETS), hidden
    public_test = next(t for t in report["tests"] if t["name"] == "test_public_cast")
    assert 'invalid input syntax for type integer: "x4242"' in public_test["message"]
