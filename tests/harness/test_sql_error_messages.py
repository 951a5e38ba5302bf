"""Database errors in hidden tests: their SQLSTATE class, never PostgreSQL's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader_harness.errors import SqlError
from grader_harness.messages import failure_message
from grader_harness.protocol import Layout
from grader_harness.sql.sqlstate import CLASSES, describe, error_class

LAYOUT = Layout(tests=Path("/g/tests"), public_tests=Path("/g/public_tests"),
                data=Path("/g/data"), workspace=Path("/w/sub"))
LEAK = 'invalid input syntax for type integer: "x42"'


@pytest.mark.parametrize(
    ("sqlstate", "says"),
    [
        ("22P02", "data exception (SQLSTATE class 22)"),
        ("22012", "data exception (SQLSTATE class 22)"),
        ("21000", "cardinality violation (SQLSTATE class 21)"),
        ("42703", "syntax error or access rule violation (SQLSTATE class 42)"),
        ("0A000", "feature not supported (SQLSTATE class 0A)"),
        ("54001", "program limit exceeded (SQLSTATE class 54)"),
        ("XX000", "internal error (SQLSTATE class XX)"),
        ("ZZ123", "database error (SQLSTATE class ZZ)"),
        (None, "a database error without an SQLSTATE"),
        ("", "a database error without an SQLSTATE"),
        ('x"42', "a database error without an SQLSTATE"),
        ("2201", "a database error without an SQLSTATE"),
    ],
)
def test_describe_says_the_class_only(sqlstate: str | None, says: str) -> None:
    assert describe(sqlstate) == says


def test_every_class_is_two_characters_and_named() -> None:
    assert all(len(code) == 2 and name for code, name in CLASSES.items())
    assert error_class("22p02") == "22"


def _hostile() -> SqlError:
    failed = "your query.sql failed on dataset 'main'"
    return SqlError(f"{failed}: {LEAK}", sqlstate="22P02", safe=f"{failed}: {describe('22P02')}")


def _message(exc: BaseException, public: bool, policy: str) -> str | None:
    try:
        raise exc
    except BaseException:
        excinfo = pytest.ExceptionInfo.from_current()
    return failure_message(excinfo, public, policy, LAYOUT)


@pytest.mark.parametrize("policy", ["author", "full"])
def test_hidden_tests_show_the_safe_message_whatever_the_policy(policy: str) -> None:
    message = _message(_hostile(), public=False, policy=policy)
    assert message == "your query.sql failed on dataset 'main': data exception (SQLSTATE class 22)"
    assert "x42" not in message


def test_hidden_tests_under_none_show_nothing() -> None:
    assert _message(_hostile(), public=False, policy="none") is None


def test_public_tests_keep_postgresqls_text() -> None:
    # Raised from a fixture of ours (no public test frame): the full text.
    message = _message(_hostile(), public=True, policy="author")
    assert message is not None and LEAK in message


def test_a_refused_file_keeps_its_text_in_hidden_tests() -> None:
    # The runner's own words about the student's file: nothing hidden in them.
    exc = SqlError("query.sql must hold exactly one query; it holds 2")
    assert exc.safe is None and exc.sqlstate is None
    assert _message(exc, public=False, policy="author") == str(exc)
