"""Report text made storable (grader/services/report_text.py): pure, no
Docker, no database. What a hostile student can put in a report's strings."""

from __future__ import annotations

import json

import pytest

from grader.services.report_text import (
    NAME_CHARS,
    REASON_CHARS,
    describe_error,
    storable_reason,
    storable_report,
    storable_text,
)
from grader_harness.report import (
    MAX_MESSAGE_CHARS,
    MAX_OUTPUT_CHARS,
    MAX_TEST_OUTPUT_CHARS,
    Outcome,
    Report,
    Status,
    TestResult,
    parse_report,
)

HOSTILE = [
    "nul \x00 inside",
    "lone high \ud800 and low \udfff surrogates",
    "escape \x1b[2J\x1b[31mred\x07 bell \x7f del \x9b csi",
    "cr\roverwrite\r\nwindows",
    "x" * 100_000,
    "\x00" * 50_000,
]


def _encodable(text: str) -> bool:
    text.encode("utf-8")  # raises on a lone surrogate
    return True


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_becomes_utf8_without_nul_or_controls(text: str) -> None:
    out = storable_text(text, 1000)
    assert _encodable(out) and len(out) <= 1000
    assert "\x00" not in out and "\r" not in out and "\x1b" not in out
    assert all(ch in "\t\n" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) < 0xA0) for ch in out)
    json.dumps(out, ensure_ascii=False).encode("utf-8")  # the API and the webhook body


def test_marks_show_where_the_bytes_were() -> None:
    assert storable_text("a\x00b", 100) == "a\u2400b"  # ␀
    assert storable_text("a\ud800b", 100) == "a\ufffdb"
    assert storable_text("bell\x07", 100) == "bell\u2407"
    assert storable_text("line\r\nnext\rover", 100) == "line\nnext\nover"


def test_ordinary_text_is_unchanged() -> None:
    text = "Résumé 😀 ünïcode\n\ttabbed — AssertionError: expected 200, got 500"
    assert storable_text(text, 1000) == text


def test_a_surrogate_pair_becomes_its_character_again() -> None:
    assert storable_text("\ud83d\ude00", 10) == "😀"


def test_long_text_keeps_head_and_tail_within_the_limit() -> None:
    out = storable_text("HEAD" + "x" * 100_000 + "TAIL", 500)
    assert len(out) == 500 and out.startswith("HEAD") and out.endswith("TAIL")
    assert "truncated" in out


def test_a_parsed_hostile_report_is_made_storable_field_by_field() -> None:
    test = {"id": "t::\x00" + "i" * 2000, "name": "n\ud800", "outcome": "failed",
            "points": 0, "max_points": 1, "duration": 0.1, "visibility": "public",
            "hint": "h\x00", "message": "AssertionError: \udcff\x1b[0m"}
    # json.dumps writes \u0000 and \ud800 escapes, as the harness's report does;
    # the host's own parser turns them back into what breaks storage.
    document = json.dumps({"schema_version": 1, "status": "failed", "score": 0,
                           "max_score": 1, "tests": [test], "message": "m\x00",
                           "output": "\x00" * 20_000 + "\ud800",
                           "author_output": "a\x00\ud800"})
    report = parse_report(document)
    assert "\x00" in report.output and "\ud800" in report.tests[0].name  # the poison is real
    clean = storable_report(report)
    texts = [clean.message or "", clean.output, clean.author_output]
    for t in clean.tests:
        texts += [t.id, t.name, t.hint or "", t.message or ""]
        assert len(t.id) <= NAME_CHARS and len(t.name) <= NAME_CHARS
    assert all(_encodable(s) and "\x00" not in s for s in texts)
    assert len(clean.output) <= MAX_OUTPUT_CHARS
    assert clean.tests[0].message == "AssertionError: \ufffd\u241b[0m"
    assert clean.author_output == "a\u2400\ufffd"
    assert clean.status is Status.FAILED and clean.tests[0].outcome is Outcome.FAILED


def test_numbers_that_json_cannot_carry_become_zero() -> None:
    report = Report(status=Status.PASSED, score=float("nan"), max_score=float("inf"),
                    tests=[TestResult(id="t", name="t", outcome=Outcome.PASSED,
                                      points=float("nan"), max_points=1, duration=float("-inf"))])
    clean = storable_report(report)
    assert (clean.score, clean.max_score) == (0.0, 0.0)
    assert (clean.tests[0].points, clean.tests[0].duration) == (0.0, 0.0)
    json.dumps(clean.to_dict(), allow_nan=False)


def test_reasons_and_error_lines_are_bounded_and_storable() -> None:
    assert len(storable_reason("r\x00" * 10_000)) <= REASON_CHARS

    class Wrapped(Exception):
        orig = ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes\n[SQL: ...]")

    assert describe_error(Wrapped("statement with parameters 'x\x00'")) == (
        "ValueError: PostgreSQL text fields cannot contain NUL (0x00) bytes")
    assert describe_error(RuntimeError("boom \ud800")) == "RuntimeError: boom \ufffd"
    assert len(describe_error(RuntimeError("y" * 10_000))) <= 500
    assert MAX_MESSAGE_CHARS >= 1000  # the message caps used above stay meaningful


def test_a_tests_own_output_is_made_storable_and_bounded() -> None:
    test = {"id": "t::a", "name": "a", "outcome": "failed", "points": 0, "max_points": 1,
            "duration": 0.1, "visibility": "hidden",
            "author_output": "x\x00\ud800" + "y" * 1990}
    document = json.dumps({"schema_version": 3, "status": "failed", "score": 0,
                           "max_score": 1, "tests": [test], "output": "", "author_output": ""})
    clean = storable_report(parse_report(document)).tests[0]
    assert "\x00" not in clean.author_output and _encodable(clean.author_output)
    assert clean.author_output.startswith("x\u2400\ufffd")
    assert len(clean.author_output) <= MAX_TEST_OUTPUT_CHARS
