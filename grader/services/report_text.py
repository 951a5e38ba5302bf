"""Report text made storable: whatever a student prints or puts in an
exception, what reaches the database can be stored and shown.

Every string of a report comes from a hostile process: the harness already
decodes output with replacement and truncates, but a report is parsed from
JSON on the host, and JSON can carry what no column takes: `\\u0000`
(PostgreSQL refuses NUL in text), a lone surrogate such as `\\ud800` (not
encodable as UTF-8: SQLite, PostgreSQL, the API's JSON and the webhook body all
fail on it), terminal control sequences, and any length. The recording step
(services.grading_jobs) passes every report and every reason through here, so the
rule lives in one place and is tested without Docker or a database.

Pure: no I/O, stdlib plus the harness's report model.
"""

from __future__ import annotations

import dataclasses
import math
import re

from grader_harness.report import (
    MAX_MESSAGE_CHARS,
    MAX_OUTPUT_CHARS,
    MAX_TEST_OUTPUT_CHARS,
    MAX_TESTS,
    Report,
    TestResult,
    truncate,
)

# Column sizes (grader/db/models.py): test ids and names are VARCHAR(500).
NAME_CHARS = 500
REASON_CHARS = 2_000
REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")


def _control_table() -> dict[int, str]:
    # C0 controls become their visible Control Pictures (NUL -> U+2400 "␀"), so
    # a student sees where their output held one; tab and newline stay. DEL
    # likewise (U+2421). C1 controls (U+0080-U+009F, e.g. U+009B, a one-byte
    # CSI to some terminals) have no picture: U+FFFD.
    table = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\t\n"}
    table[0x7F] = "\u2421"
    table.update({code: REPLACEMENT for code in range(0x80, 0xA0)})
    return table


_CONTROLS = _control_table()


def storable_text(text: str, limit: int) -> str:
    """`text` with no NUL, no lone surrogate, no control character but tab and
    newline, and at most `limit` characters (head and tail kept)."""
    if _SURROGATE.search(text):
        # Through UTF-16: a well-formed surrogate pair becomes its character
        # again, a lone one U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a bare CR rewrites a terminal line
    return truncate(text.translate(_CONTROLS), limit)


def storable_optional(text: str | None, limit: int) -> str | None:
    return None if text is None else storable_text(text, limit)


def storable_number(value: float) -> float:
    # NaN and infinity: PostgreSQL takes them, but JSON does not (the API's
    # responses refuse them; a webhook body would not be JSON).
    return value if math.isfinite(value) else 0.0


def storable_test(test: TestResult) -> TestResult:
    return dataclasses.replace(
        test,
        id=storable_text(test.id, NAME_CHARS),
        name=storable_text(test.name, NAME_CHARS),
        points=storable_number(test.points),
        max_points=storable_number(test.max_points),
        duration=storable_number(test.duration),
        hint=storable_optional(test.hint, MAX_MESSAGE_CHARS),
        message=storable_optional(test.message, MAX_MESSAGE_CHARS),
        author_output=storable_text(test.author_output, MAX_TEST_OUTPUT_CHARS),
    )


def storable_report(report: Report) -> Report:
    """The report with every text made storable and every number finite."""
    return dataclasses.replace(
        report,
        score=storable_number(report.score),
        max_score=storable_number(report.max_score),
        duration=storable_number(report.duration),
        message=storable_optional(report.message, MAX_MESSAGE_CHARS),
        output=storable_text(report.output, MAX_OUTPUT_CHARS),
        author_output=storable_text(report.author_output, MAX_OUTPUT_CHARS),
        tests=[storable_test(t) for t in report.tests[:MAX_TESTS]],
    )


def storable_reason(text: str) -> str:
    """Why a submission is not gradable (or its last failure): error messages
    may quote student text too."""
    return storable_text(text, REASON_CHARS)


def describe_error(exc: BaseException) -> str:
    """One line for a reason: a database error's own message, not the SQL
    statement and parameters SQLAlchemy adds (they would quote the report)."""
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return storable_text(f"{type(inner).__name__}: {lines[0] if lines else ''}", 500)
