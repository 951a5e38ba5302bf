"""What `grader exercises lint` reports: a Finding names the file, the line and
the field where known. from_error() turns the loader's ManifestError
("field 'x.y': message" problems) into Findings with the field's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from grader.exercises.manifest import ManifestError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int | None
    field: str | None
    message: str
    severity: Severity = Severity.ERROR

    def render(self, base: Path | None = None) -> str:
        path = self.path
        if base is not None and path.is_relative_to(base):
            path = path.relative_to(base)
        where = f"{path}:{self.line}" if self.line else str(path)
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}: {self.severity.value}: {field}{self.message}"


def field_line(path: Path, dotted: str) -> int | None:
    """The line of `a.b` (key b of table [a]) in a TOML file, or of table [a.b]."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    *table, key = dotted.split(".")
    current: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if header := re.fullmatch(r"\[\s*([\w.-]+)\s*\]", text):
            current = header.group(1).split(".")
            if current == [*table, key]:
                return number
        elif current == table and re.match(rf"{re.escape(key)}\s*=", text):
            return number
        elif text.startswith(("--- ", "diff ")):  # a patch's diff: the metadata ended
            break
    return None


def from_error(exc: ManifestError) -> list[Finding]:
    """The loader's ManifestError, one Finding per problem."""
    found = []
    for problem in exc.problems:
        field = None
        if hit := re.fullmatch(r"field '([^']*)': (.*)", problem, flags=re.S):
            field, problem = hit.group(1), hit.group(2)
        line = field_line(exc.path, field) if field and exc.path.is_file() else None
        if hit := re.search(r"at line (\d+)", problem):
            line = int(hit.group(1))
        found.append(Finding(exc.path, line, field, problem))
    return found
