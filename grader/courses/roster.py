"""Reading a course roster (CSV) into rows, pure: no database, no clock.

The file is a spreadsheet export, so it is read as untrusted text: a header
line is required (`name`, and optionally `email` and `role`, in any order),
every cell is checked, and every problem is reported at once with its line
number, so an instructor fixes the file in one pass. Nothing here stores
anything; grader.services.courses applies a roster only when it parses whole.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from grader.courses.rules import CourseRole

MAX_ROWS = 5000  # a very large course; more is a wrong file
MAX_BYTES = 1_000_000  # 5000 rows of long names and addresses fit comfortably
MAX_ERRORS = 100  # listed; the rest are counted
COLUMNS = ("name", "email", "role")
# The rule grader.services.accounts uses for user names (kept equal by
# tests/unit/test_roster.py); copied because this module stays pure. It
# also refuses formula-like cells (=, +, -, @ cannot start a name).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
MAX_EMAIL = 320
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    email: str | None  # None: not given (an existing member keeps theirs)
    role: CourseRole | None  # None: not given (new members: student; others keep theirs)


class RosterError(ValueError):
    """The file cannot be applied; `errors` names each problem with its line."""

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"... and {len(errors) - MAX_ERRORS} more errors")
        super().__init__("; ".join(shown))
        self.errors = shown


def decode_roster(data: bytes) -> str:
    """The uploaded bytes as text: UTF-8 (a BOM is dropped), within MAX_BYTES."""
    if len(data) > MAX_BYTES:
        raise RosterError([f"the roster is over the limit of {MAX_BYTES} bytes"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError([f"the roster is not UTF-8 text (byte {exc.start})"]) from None


def parse_roster(text: str) -> list[RosterRow]:
    """The rows, or RosterError listing every problem (line numbers from 1)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise RosterError([f"the roster is over the limit of {MAX_BYTES} bytes"])
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[str] = []
    header: list[str] | None = None
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _header(line, cells, errors)
                if errors:
                    raise RosterError(errors)
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(f"line {line}: more than {MAX_ROWS} rows (the limit); "
                              "split the roster")
                break
            row = _row(line, header, cells, errors)
            if row is None:
                continue
            if row.name in seen:
                errors.append(f"line {line}: name {row.name!r} is also on line {seen[row.name]}")
                continue
            seen[row.name] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append(f"line {reader.line_num + 1}: not valid CSV ({exc})")
    if header is None and not errors:
        errors.append("line 1: the header line is missing: give name[,email][,role]")
    if errors:
        raise RosterError(errors)
    return rows


def _header(line: int, cells: list[str], errors: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    for index, name in enumerate(names, start=1):
        if name not in COLUMNS:
            errors.append(f"line {line}: unknown column {_shown(name)} (column {index}); "
                          f"use {', '.join(COLUMNS)}")
        elif names.index(name) != index - 1:
            errors.append(f"line {line}: column {name!r} appears twice")
    if "name" not in names:
        errors.append(f"line {line}: the header has no 'name' column")
    return names


def _row(line: int, header: list[str], cells: list[str], errors: list[str]) -> RosterRow | None:
    if len(cells) > len(header):
        errors.append(f"line {line}: {len(cells)} cells, but the header has {len(header)}")
        return None
    values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
    before = len(errors)
    for column, value in values.items():
        if CONTROL.search(value):
            errors.append(f"line {line}: {column} contains a control character")
    if len(errors) > before:
        return None
    name, email, role = values.get("name", ""), values.get("email", ""), values.get("role", "")
    if not name:
        errors.append(f"line {line}: name is missing")
    elif not NAME_RE.fullmatch(name):
        errors.append(f"line {line}: name {_shown(name)} is not a valid user name "
                      "(1-64 letters, digits, '.', '_', '@' or '-', starting with a "
                      "letter or digit)")
    if email and (len(email) > MAX_EMAIL or not EMAIL_RE.fullmatch(email)):
        errors.append(f"line {line}: email {_shown(email)} is not an e-mail address")
    if role and role.lower() not in set(CourseRole):
        errors.append(f"line {line}: role {_shown(role)} is not one of "
                      + ", ".join(r.value for r in CourseRole))
    if len(errors) > before:
        return None
    return RosterRow(line=line, name=name, email=email or None,
                     role=CourseRole(role.lower()) if role else None)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:60] + "...")
