"""The versioned grading report: what the harness writes and the host reads.

This module is the stable interface documented in docs/report.md. It is pure
stdlib so that it runs unchanged inside the sandbox image and on the host.
Bump SCHEMA_VERSION on any change that is not a pure addition.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any

# 2: `output` is what the exercise's output policy shows the student (in 1,
# all of it); `author_output` has all of it. Version 1 documents still parse.
# 3: each test has an `author_output` too: until 2 every field of tests[] was
# fit for students, and a reader that passes tests[] on as it is must learn
# of the change (it refuses an unknown version) rather than leak it.
SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

# Caps keep one hostile submission from producing a huge report.
MAX_MESSAGE_CHARS = 4_000
MAX_OUTPUT_CHARS = 8_000
MAX_TESTS = 500
# Per test: what student code printed during it and what the test printed.
MAX_TEST_OUTPUT_CHARS = 2_000
TRUNCATION_MARK = "\n[... truncated ...]\n"


class Status(enum.StrEnum):
    """Overall outcome of one grading, worst first when several apply."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # no test could run: syntax error, missing file, app never started
    TIMEOUT = "timeout"
    MEMORY_EXCEEDED = "memory_exceeded"
    OUTPUT_EXCEEDED = "output_exceeded"


class Outcome(enum.StrEnum):
    """Outcome of one test."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the test could not run (fixture or set-up failed)
    SKIPPED = "skipped"


class Visibility(enum.StrEnum):
    HIDDEN = "hidden"
    PUBLIC = "public"


class ReportFormatError(ValueError):
    """A document that is not a valid report (names the field that is wrong)."""


def truncate(text: str, limit: int) -> str:
    """Keep the head and the tail of long text: errors show at both ends."""
    if len(text) <= limit:
        return text
    keep = limit - len(TRUNCATION_MARK)
    head = keep // 2
    return text[:head] + TRUNCATION_MARK + text[len(text) - (keep - head) :]


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    id: str
    name: str
    outcome: Outcome
    points: float
    max_points: float
    duration: float
    visibility: Visibility = Visibility.HIDDEN
    hint: str | None = None
    message: str | None = None
    # For authors only, like the report's `author_output` (it may hold a
    # hidden test's inputs): what student code printed during this test,
    # then what the test printed itself (results.test_output).
    author_output: str = ""

    def __post_init__(self) -> None:
        if self.message is not None and len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", truncate(self.message, MAX_MESSAGE_CHARS))
        if len(self.author_output) > MAX_TEST_OUTPUT_CHARS:
            object.__setattr__(self, "author_output",
                               truncate(self.author_output, MAX_TEST_OUTPUT_CHARS))


@dataclass(frozen=True)
class Report:
    status: Status
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    message: str | None = None  # overall explanation: the syntax error, the limit hit
    output: str = ""  # tail of the student's own stdout/stderr the student may see
    duration: float = 0.0
    # The tail of all of it, for authors only: the service never shows it to
    # a student (it may hold hidden tests' inputs the student's code printed).
    author_output: str = ""
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        for name in ("output", "author_output"):
            if len(getattr(self, name)) > MAX_OUTPUT_CHARS:
                object.__setattr__(self, name, truncate(getattr(self, name), MAX_OUTPUT_CHARS))
        if self.message is not None and len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", truncate(self.message, MAX_MESSAGE_CHARS))

    @property
    def full_marks(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Stable key order: the documented top-level fields first.
        ordered = {k: data[k] for k in ("schema_version", "status", "score", "max_score")}
        ordered.update(data)
        return ordered

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def score_tests(tests: list[TestResult]) -> tuple[float, float]:
    """Score = points earned out of points possible, over every listed test."""
    earned = sum(t.points for t in tests)
    possible = sum(t.max_points for t in tests)
    return round(earned, 4), round(possible, 4)


def overall_status(tests: list[TestResult], limit_hit: Status | None = None) -> Status:
    """The report's status from its tests, unless a limit decided it already."""
    if limit_hit is not None:
        return limit_hit
    if not tests:
        return Status.ERROR
    if all(t.outcome is Outcome.ERROR for t in tests):
        return Status.ERROR
    if all(t.outcome in (Outcome.PASSED, Outcome.SKIPPED) for t in tests):
        return Status.PASSED
    return Status.FAILED


def build_report(
    tests: list[TestResult],
    *,
    limit_hit: Status | None = None,
    message: str | None = None,
    output: str = "",
    duration: float = 0.0,
    author_output: str | None = None,
) -> Report:
    score, max_score = score_tests(tests)
    return Report(
        status=overall_status(tests, limit_hit),
        score=score,
        max_score=max_score,
        tests=tests,
        message=message,
        output=output,
        duration=round(duration, 4),
        author_output=output if author_output is None else author_output,
    )


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in data:
        raise ReportFormatError(f"{where}: missing field '{name}'")
    value = data[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ReportFormatError(f"{where}: field '{name}' has the wrong type")
    return value


def _enum(cls: type[enum.StrEnum], value: Any, where: str, name: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ReportFormatError(
            f"{where}: field '{name}' is {value!r}, not one of {allowed}"
        ) from None


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def parse_report(document: str | bytes) -> Report:
    """Parse and validate a report document; raises ReportFormatError naming the field."""
    try:
        data = json.loads(document)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportFormatError(f"report is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportFormatError("report: top level is not an object")
    version = _field(data, "schema_version", int, "report")
    if version not in READABLE_VERSIONS:
        readable = " or ".join(str(v) for v in READABLE_VERSIONS)
        raise ReportFormatError(f"report: schema_version {version} is not {readable}")
    raw_tests = _field(data, "tests", list, "report")
    if len(raw_tests) > MAX_TESTS:
        raise ReportFormatError(f"report: more than {MAX_TESTS} tests")
    tests = []
    for i, raw in enumerate(raw_tests):
        where = f"report.tests[{i}]"
        if not isinstance(raw, dict):
            raise ReportFormatError(f"{where}: not an object")
        tests.append(
            TestResult(
                id=_field(raw, "id", str, where),
                name=_field(raw, "name", str, where),
                outcome=_enum(Outcome, raw.get("outcome"), where, "outcome"),
                points=float(_field(raw, "points", (int, float), where)),
                max_points=float(_field(raw, "max_points", (int, float), where)),
                duration=float(_field(raw, "duration", (int, float), where)),
                visibility=_enum(Visibility, raw.get("visibility", "hidden"), where, "visibility"),
                hint=raw.get("hint") if isinstance(raw.get("hint"), str) else None,
                message=raw.get("message") if isinstance(raw.get("message"), str) else None,
                # Version 3 on; absent before (and in a report that kept none).
                author_output=_text(raw, "author_output"),
            )
        )
    message = data.get("message")
    output = data.get("output", "")
    output = output if isinstance(output, str) else ""
    # Version 1 had one output, all of it; a document without the field is
    # read as if its output were all there was.
    author_output = data.get("author_output", output)
    duration = data.get("duration", 0.0)
    return Report(
        status=_enum(Status, data.get("status"), "report", "status"),
        score=float(_field(data, "score", (int, float), "report")),
        max_score=float(_field(data, "max_score", (int, float), "report")),
        tests=tests,
        message=message if isinstance(message, str) else None,
        output=output,
        duration=float(duration) if isinstance(duration, (int, float)) else 0.0,
        author_output=author_output if isinstance(author_output, str) else output,
    )
