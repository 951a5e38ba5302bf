"""The gradebook as CSV for spreadsheets (pure: text in, text out).

- UTF-8 with a byte order mark: Excel reads a CSV without one in the
  machine's legacy code page, and names like "Zoë" or "李" come out garbled;
  LibreOffice and Python's "utf-8-sig" take the mark in their stride.
- A header row, one row per student sorted by name, stable columns: name,
  email, then per assignment `<slug> %`, `<slug> late`, `<slug> attempts`,
  `<slug> extension`, then `total %`.
- Formula injection (OWASP "CSV Injection"): a text cell starting with
  = + - @ or a tab or carriage return would be run as a formula by a
  spreadsheet, so it gets a leading apostrophe. Numbers are written as
  numbers and never prefixed (gradebook figures are never negative).
- A percent that is not released to the reader is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SUFFIXES = ("%", "late", "attempts", "extension")


@dataclass(frozen=True)
class CsvCell:
    percent: float | None  # None: not released to the reader (blank)
    late: str  # the penalty text, "" when on time
    attempts: int
    extension: str  # "" without one


@dataclass(frozen=True)
class CsvRow:
    name: str
    email: str | None
    cells: Sequence[CsvCell]  # in the order of the assignment slugs
    total: float | None


def neutralise(value: str) -> str:
    """The text as a spreadsheet shows it, never as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def header(slugs: Sequence[str]) -> list[str]:
    columns = ["name", "email"]
    for slug in slugs:
        columns.extend(f"{slug} {suffix}" for suffix in SUFFIXES)
    return [neutralise(column) for column in [*columns, "total %"]]


def _number(value: float | None) -> float | int | str:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def render(slugs: Sequence[str], rows: Sequence[CsvRow]) -> str:
    """The whole file as text, the byte order mark first (encode as UTF-8)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180's line ends
    writer.writerow(header(slugs))
    for row in sorted(rows, key=lambda r: (r.name.casefold(), r.name)):
        if len(row.cells) != len(slugs):
            raise ValueError(f"row of {row.name!r} has {len(row.cells)} cells, "
                             f"expected {len(slugs)}")
        line: list[str | float | int] = [neutralise(row.name), neutralise(row.email or "")]
        for cell in row.cells:
            line.extend([_number(cell.percent), neutralise(cell.late), cell.attempts,
                         neutralise(cell.extension)])
        line.append(_number(row.total))
        writer.writerow(line)
    return out.getvalue()
