"""The gradebook CSV: byte order mark, header and column order, one row per
student by name, formula cells neutralised, unicode and control characters
kept inside their cell, blanks for unreleased scores, numbers as numbers."""

from __future__ import annotations

import csv
import io

import pytest

from grader.courses.gradebook_csv import CsvCell, CsvRow, neutralise, render


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def cell(percent: float | None = 50.0, late: str = "", attempts: int = 1,
         extension: str = "") -> CsvCell:
    return CsvCell(percent=percent, late=late, attempts=attempts, extension=extension)


def test_header_and_column_order_are_stable() -> None:
    rows = parse(render(["hw1", "hw2"], []))
    assert rows == [["name", "email", "hw1 %", "hw1 late", "hw1 attempts", "hw1 extension",
                     "hw2 %", "hw2 late", "hw2 attempts", "hw2 extension", "total %"]]


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\tcmd", "\rcmd"])
def test_formula_cells_get_an_apostrophe(hostile: str) -> None:
    text = render(["hw1"], [CsvRow(name=hostile, email=hostile,
                                   cells=[cell(late=hostile, extension=hostile)], total=None)])
    row = parse(text)[1]
    assert row[0] == "'" + hostile and row[1] == "'" + hostile
    assert row[3] == "'" + hostile and row[5] == "'" + hostile


def test_a_slug_that_looks_like_a_formula_is_neutralised_in_the_header() -> None:
    assert parse(render(["-x"], []))[0][2] == "'-x %"


def test_numbers_stay_numbers_and_unreleased_is_blank() -> None:
    text = render(["hw1", "hw2"], [CsvRow(name="ann", email=None,
                                          cells=[cell(93.33, "late: 10 % off", 3), cell(None)],
                                          total=100.0)])
    row = parse(text)[1]
    assert row == ["ann", "", "93.33", "late: 10 % off", "3", "", "", "", "1", "", "100"]
    assert neutralise("late: 10 % off") == "late: 10 % off"


def test_unicode_names_sorted_and_control_characters_kept_in_their_cell() -> None:
    rows = [CsvRow(name="Zoë 李", email="z@example.org", cells=[cell()], total=50.0),
            CsvRow(name="bob\r\nevil,\"x\"", email=None, cells=[cell()], total=50.0),
            CsvRow(name="Ann", email=None, cells=[cell()], total=50.0)]
    text = render(["hw1"], rows)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    parsed = parse(text)
    assert len(parsed) == 4  # header + one row per student, however hostile the name
    assert [r[0] for r in parsed[1:]] == ["Ann", "bob\r\nevil,\"x\"", "Zoë 李"]


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        render(["a", "b"], [CsvRow(name="x", email=None, cells=[cell()], total=None)])
