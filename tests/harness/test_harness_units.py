"""The harness's pure parts, in process: messages, paths, framing, outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader_harness import Feedback, StudentError, StudentTimeout
from grader_harness.errors import BadRequest, StartupFailed
from grader_harness.grade import limit_status
from grader_harness.messages import author_message, clean_log, full_message, scrub
from grader_harness.output import CUT_MARK, OutputMeter, Tail
from grader_harness.phases import WITHHELD_MARK, OutputPhases
from grader_harness.protocol import Layout
from grader_harness.report import MAX_OUTPUT_CHARS, Outcome, Status
from grader_harness.results import Phase, _decide
from grader_harness.wire import MAX_FRAME_BYTES, FrameError, decode, encode, frame_length
from grader_harness.workspace import check_path, write_files


def caught(check: object, message: str | None = None) -> AssertionError:
    """The AssertionError of a failing assert in this (rewritten) module."""
    try:
        if message is None:
            assert check == 4
        else:
            assert check == 4, message
    except AssertionError as exc:
        return exc
    raise RuntimeError("the assert passed")


def test_author_message_keeps_only_the_assert_message() -> None:
    exc = caught(3, "three is not four")
    assert "assert 3 == 4" in str(exc)  # pytest's explanation is there...
    assert author_message(exc) == "three is not four"  # ...and never reaches the student


def test_author_message_of_a_bare_assert_is_none() -> None:
    assert author_message(caught(3)) is None
    assert full_message(caught(3)).startswith("AssertionError: assert 3 == 4")


def test_author_message_of_other_exceptions() -> None:
    assert author_message(KeyError("secret_key")) is None
    assert full_message(KeyError("secret_key")) == "KeyError: 'secret_key'"
    assert author_message(Feedback("say this")) == "say this"
    assert author_message(StudentTimeout("too slow")) == "too slow"
    error = StudentError("ValueError", "bad", 'Traceback:\n  File "m.py", line 1\nValueError: bad')
    assert author_message(error) == (
        'your code raised ValueError: bad\nTraceback:\n  File "m.py", line 1\nValueError: bad'
    )


def test_startup_failure_shared_by_every_test_is_summarised() -> None:
    summary = "the app did not start"
    exc = StartupFailed(f"{summary}: it exited with code 1\nlog", summary)
    assert author_message(exc) == str(exc)
    exc.shared = True
    assert author_message(exc) == "not run: the app did not start (the report's message says why)"


def test_scrub_names_folders_by_role() -> None:
    layout = Layout(tests=Path("/g/tests"), public_tests=Path("/g/public_tests"),
                    data=Path("/g/data"), workspace=Path("/w/sub"))
    text = "open /g/tests/x.py, /g/public_tests/y.py, /g/data/d.json, /w/sub/app.py"
    assert scrub(text, layout) == "open tests/x.py, public_tests/y.py, data/d.json, app.py"


def test_clean_log_keeps_only_the_students_frames() -> None:
    log = (
        "Traceback (most recent call last):\n"
        '  File "/venv/lib/uvicorn/main.py", line 4, in run\n'
        "    config.load()\n"
        '  File "<frozen importlib._bootstrap>", line 1, in _load\n'
        '  File "/ws/app/main.py", line 2, in <module>\n'
        "    import nothing\n"
        "ModuleNotFoundError: No module named 'nothing'\n"
    )
    assert clean_log(log, Path("/ws"), 20) == (
        "Traceback (most recent call last):\n"
        '  File "app/main.py", line 2, in <module>\n'
        "    import nothing\n"
        "ModuleNotFoundError: No module named 'nothing'"
    )


@pytest.mark.parametrize("name", ["../x.py", "/etc/passwd", "a//b.py", "a/./b.py", "a/../b.py",
                                  "", "a\\b.py", "nul\x00.py", "x" * 300])
def test_unsafe_paths_are_refused(name: str) -> None:
    with pytest.raises(BadRequest):
        check_path(name)


def test_files_are_written_readable_and_not_writable_by_others(tmp_path: Path) -> None:
    root = tmp_path / "submission"
    write_files(root, {"app/main.py": "x = 1\n", "README.md": "hi"})
    assert (root / "app" / "main.py").read_text() == "x = 1\n"
    assert (root / "app").stat().st_mode & 0o777 == 0o755
    assert (root / "app" / "main.py").stat().st_mode & 0o777 == 0o644


def test_files_are_never_written_through_a_symlink(tmp_path: Path) -> None:
    root = tmp_path / "submission"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(BadRequest, match="symbolic link"):
        write_files(root, {"link/evil.py": "x"})
    assert not (tmp_path / "evil.py").exists()


def test_a_file_and_a_folder_of_the_same_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="both a file and a folder"):
        write_files(tmp_path / "s", {"a": "1", "a/b.py": "2"})


def test_frames_round_trip_and_refuse_what_is_not_a_reply() -> None:
    frame = encode({"ok": [1, "two"]})
    assert frame_length(frame[:4]) == len(frame) - 4
    assert decode(frame[4:]) == {"ok": [1, "two"]}
    with pytest.raises(FrameError):
        frame_length((MAX_FRAME_BYTES + 1).to_bytes(4, "big"))
    with pytest.raises(FrameError):
        decode(b"[1, 2]")  # JSON, but not an object
    with pytest.raises(FrameError):
        decode(b"\xff not json")
    with pytest.raises(FrameError):
        decode(b"[" * 100_000 + b"]" * 100_000)  # deep nesting: RecursionError inside json
    with pytest.raises(FrameError):
        encode({"ok": "x" * MAX_FRAME_BYTES})


def test_tail_keeps_the_end() -> None:
    tail = Tail(keep=100)
    for i in range(1000):
        tail.add(f"line {i}\n".encode())
    text = tail.text(max_chars=60)
    assert text.startswith(CUT_MARK)
    assert text.endswith("line 999\n")
    assert len(text) <= 60


def test_meter_calls_back_past_the_limit_only() -> None:
    calls: list[int] = []
    meter = OutputMeter(10, lambda: calls.append(meter.total))
    own = Tail()
    meter.add(b"12345", own)
    meter.add(b"67890", own)
    assert not meter.exceeded and calls == []
    meter.add(b"!", own)
    assert meter.exceeded and calls == [11]
    assert own.text() == "1234567890!"


def _first_hidden_test_starts_the_app(warm: bool) -> str:
    """The student's text when the app prints at import, in a run whose first
    test is hidden: started cold inside the fixture's startup(), or released
    ahead with the files (a warm sandbox) and taken by that fixture."""
    meter = OutputMeter(10_000, lambda: None)
    phases, own = OutputPhases(meter), Tail()
    if warm:
        phases.released()  # at the gate, before pytest runs a test
    phases.test(public=False)
    if warm:
        meter.add(b"loading the app\n", own)  # before the fixture took it
    with phases.startup():
        phases.process_started()  # the take (warm) or the cold start
        if not warm:
            meter.add(b"loading the app\n", own)
    meter.add(b"a hidden input: 42\n", own)  # the test's request reached the app
    phases.test(public=False)
    phases.process_started()  # a restart inside a later hidden test
    meter.add(b"after the restart\n", own)
    return phases.student_text()


def test_a_released_interpreters_start_up_output_is_shown_as_a_cold_starts() -> None:
    cold = _first_hidden_test_starts_the_app(warm=False)
    assert cold == "loading the app\n" + WITHHELD_MARK
    assert _first_hidden_test_starts_the_app(warm=True) == cold


def test_an_untaken_release_does_not_open_a_later_cold_start() -> None:
    meter = OutputMeter(10_000, lambda: None)
    phases, own = OutputPhases(meter), Tail()
    phases.released()
    phases.test(public=False)
    phases.process_started()  # another process, not in a startup(): hidden from here
    meter.add(b"a hidden input: 42\n", own)
    phases.test(public=False)
    with phases.startup():  # the app's first start, after that process saw an input
        phases.process_started()
        meter.add(b"what the other process left in /tmp: 42\n", own)
    assert phases.student_text() == WITHHELD_MARK


def test_meter_takes_hostile_bytes_on_both_sides() -> None:
    # Student bytes: NUL, invalid UTF-8, a UTF-8-encoded lone surrogate, a
    # character split across chunks, then a huge line without a newline.
    meter = OutputMeter(10_000_000, lambda: None)
    own = Tail()
    meter.add(b"nul\x00 bad\xff\xfe sur\xed\xa0\x80 split\xe2\x82", own)
    meter.add(b"\xac\n", own)
    meter.visible = False
    meter.add(b"x" * 1_000_000, own)
    shown, everything = meter.shown.text(), meter.tail.text()
    assert shown.startswith("nul\x00 bad\ufffd\ufffd sur") and "split\u20ac\n" in shown
    assert "xxx" not in shown and meter.withheld == 1_000_000
    assert everything.startswith(CUT_MARK) and everything.endswith("x" * 100)
    for text in (shown, everything, own.text()):
        text.encode("utf-8")  # no lone surrogate survives decoding
        assert len(text) <= MAX_OUTPUT_CHARS


def phase(outcome: str, message: str | None = None, timed_out: bool = False) -> Phase:
    return Phase(outcome, 0.1, message, timed_out)


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ({}, (Outcome.ERROR, "not run")),
        ({"setup": phase("failed", "boom")}, (Outcome.ERROR, "boom")),
        ({"setup": phase("skipped")}, (Outcome.SKIPPED, None)),
        ({"setup": phase("passed"), "call": phase("failed", "no")}, (Outcome.FAILED, "no")),
        ({"setup": phase("passed"), "call": phase("passed"), "teardown": phase("failed", "td")},
         (Outcome.ERROR, "td")),
        ({"setup": phase("passed"), "call": phase("passed"), "teardown": phase("passed")},
         (Outcome.PASSED, None)),
        ({"setup": phase("passed"), "call": phase("failed", timed_out=True)},
         (Outcome.FAILED, "the time limit (5 s) was reached while this test ran")),
    ],
)
def test_outcome_of_phases(phases: dict[str, Phase], expected: tuple[Outcome, str | None]) -> None:
    assert _decide(phases, 5.0, expired=False) == expected


def test_not_run_after_the_deadline_says_so() -> None:
    expected = (Outcome.ERROR, "not run: the time limit (5 s) was reached")
    assert _decide({}, 5.0, expired=True) == expected


@pytest.mark.parametrize(
    ("memory", "output", "timed_out", "status"),
    [
        (True, True, True, Status.MEMORY_EXCEEDED),
        (False, True, True, Status.OUTPUT_EXCEEDED),
        (False, False, True, Status.TIMEOUT),
        (False, False, False, None),
    ],
)
def test_limit_precedence(
    memory: bool, output: bool, timed_out: bool, status: Status | None
) -> None:
    assert limit_status(memory=memory, output=output, timed_out=timed_out) == status


def test_student_error_keeps_its_parts_and_caps_them() -> None:
    error = StudentError("ValueError", "x" * 10_000)
    assert error.type == "ValueError"
    assert len(error.message) <= 2_000
    assert json.dumps(str(error))  # plain text
