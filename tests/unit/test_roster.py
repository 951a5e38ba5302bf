"""Roster parsing (grader.courses.roster): the header in any order, defaults,
BOM and CRLF, and every kind of error named with its line, all at once."""

from __future__ import annotations

import pytest

from grader.courses.roster import (
    MAX_BYTES,
    MAX_ERRORS,
    MAX_ROWS,
    NAME_RE,
    RosterError,
    RosterRow,
    decode_roster,
    parse_roster,
)
from grader.courses.rules import CourseRole
from grader.services import accounts


def errors_of(text: str) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(text)
    return caught.value.errors


def test_columns_in_any_order_with_defaults() -> None:
    rows = parse_roster("role,email,name\ninstructor,ines@uni.example,ines\n,,stu\n")
    assert rows == [
        RosterRow(line=2, name="ines", email="ines@uni.example", role=CourseRole.INSTRUCTOR),
        RosterRow(line=3, name="stu", email=None, role=None),
    ]


def test_name_only_header_bom_crlf_and_blank_lines() -> None:
    text = "\ufeffName\r\n\r\nalice\r\n  bob  \r\n"
    assert [(r.line, r.name) for r in parse_roster(text)] == [(3, "alice"), (4, "bob")]
    assert decode_roster("\ufeffname\nx1\n".encode()) == "name\nx1\n"


def test_role_is_case_insensitive_and_quoted_cells_work() -> None:
    rows = parse_roster('name,role\n"asa",Assistant\n')
    assert rows[0].role is CourseRole.ASSISTANT


def test_every_error_is_listed_with_its_line() -> None:
    text = ("name,email,role\n"
            ",a@b.example,student\n"  # 2: no name
            "=cmd(),,student\n"  # 3: formula-like name
            "ok1,not-an-address,student\n"  # 4: bad email
            "ok2,,teacher\n"  # 5: bad role
            "ok3,,\n"  # 6: fine
            "ok3,,student\n"  # 7: duplicate of 6
            "ok4,,student,extra\n"  # 8: too many cells
            "ok5\x07,,student\n"  # 9: control character
            "ok6,=HYPERLINK(\"x\"),student\n")  # 10: formula as email
    errors = errors_of(text)
    assert errors == [
        "line 2: name is missing",
        "line 3: name '=cmd()' is not a valid user name (1-64 letters, digits, '.', '_', "
        "'@' or '-', starting with a letter or digit)",
        "line 4: email 'not-an-address' is not an e-mail address",
        "line 5: role 'teacher' is not one of instructor, assistant, student",
        "line 7: name 'ok3' is also on line 6",
        "line 8: 4 cells, but the header has 3",
        "line 9: name contains a control character",
        "line 10: email '=HYPERLINK(\"x\")' is not an e-mail address",
    ]


@pytest.mark.parametrize("name", ["+1", "-x", "@sum", "a b", "x" * 65, "ü"])
def test_names_the_account_rules_refuse_are_refused(name: str) -> None:
    assert errors_of(f"name\n{name}\n")[0].startswith("line 2: name ")


def test_the_name_rule_is_the_accounts_rule() -> None:
    assert NAME_RE.pattern == accounts.NAME_RE.pattern


def test_header_errors_unknown_duplicate_and_missing_name() -> None:
    assert errors_of("email,nmae,email\n") == [
        "line 1: unknown column 'nmae' (column 2); use name, email, role",
        "line 1: column 'email' appears twice",
        "line 1: the header has no 'name' column",
    ]
    assert errors_of("") == ["line 1: the header line is missing: give name[,email][,role]"]


def test_a_header_only_file_is_an_empty_roster() -> None:
    assert parse_roster("name,role\n") == []


def test_row_and_byte_caps_are_named() -> None:
    rows = "\n".join(f"u{i}" for i in range(MAX_ROWS + 1000))
    errors = errors_of("name\n" + rows + "\n")
    assert errors == [f"line {MAX_ROWS + 2}: more than {MAX_ROWS} rows (the limit); "
                      "split the roster"]
    assert errors_of("name\n" + "a" * MAX_BYTES) == [
        f"the roster is over the limit of {MAX_BYTES} bytes"]
    with pytest.raises(RosterError, match=f"limit of {MAX_BYTES} bytes"):
        decode_roster(b"x" * (MAX_BYTES + 1))


def test_not_utf8_and_bad_csv_and_nul_are_errors_not_tracebacks() -> None:
    with pytest.raises(RosterError, match="not UTF-8"):
        decode_roster(b"name\n\xff\xfe\n")
    assert errors_of('name\n"open quote\n')[0].startswith("line ")
    assert errors_of("name\nab\x00c\n")[0].startswith("line 2:")


def test_many_errors_are_capped_but_counted() -> None:
    errors = errors_of("name\n" + "\n".join(f"={i}" for i in range(MAX_ERRORS + 20)) + "\n")
    assert len(errors) == MAX_ERRORS + 1 and errors[-1] == "... and 20 more errors"
