"""What a student may read about a failure, by visibility and policy.

Public tests: pytest's own failure text (their source is public anyway),
with frames outside the public tests dropped. Hidden tests, by the config's
hidden_messages:
  "none"   nothing (the hint, if any, still shows);
  "author" only text a person wrote for the student: the msg of
           `assert cond, "msg"`, a Feedback, or the harness's own
           student-facing errors. Never pytest's explanation of the assert
           expression: it quotes the hidden test's source and values;
  "full"   the exception's type and text, without traceback or source.
Under "author", the student's own exception (StudentError) is named by its
type alone: its text was written by code that held the hidden inputs.
Under "author" and "full", a database error (SqlError) says only its SQLSTATE
class, never PostgreSQL's text, which can quote the hidden test's inputs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from grader_harness.errors import Feedback, SqlError, StartupFailed, StudentError, StudentProblem
from grader_harness.protocol import Layout

_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
HARNESS_DIR = str(Path(__file__).resolve().parent)


def scrub(text: str, layout: Layout) -> str:
    """Absolute paths of the sandbox replaced by the names students know."""
    names = {
        str(layout.workspace) + os.sep: "",
        str(layout.tests): "tests",
        str(layout.public_tests): "public_tests",
        str(layout.data): "data",
        HARNESS_DIR: "grader_harness",
    }
    for path in sorted(names, key=len, reverse=True):  # longest first: nested paths
        text = text.replace(path, names[path])
    return text


def clean_log(text: str, workspace: Path, lines: int) -> str:
    """The last `lines` of a log, keeping only traceback frames of the student's
    files (named relative to the workspace): uvicorn's and importlib's frames
    say nothing to the student and differ between machines."""
    inside = str(workspace) + os.sep
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            skipping = not frame.group(1).startswith(inside)
        elif not (skipping and line.startswith("    ")):
            skipping = False  # source and caret lines of a dropped frame are indented
        if not skipping:
            kept.append(line)
    return "\n".join(kept[-lines:]).replace(inside, "")


def student_text(exc: BaseException) -> str:
    """A harness error's text, with the student's own traceback when we have it."""
    if isinstance(exc, StartupFailed) and exc.shared:
        return f"not run: {exc.summary} (the report's message says why)"
    # A traceback of one line only repeats the exception: no frame was the student's.
    if isinstance(exc, StudentError) and "\n" in exc.traceback.strip():
        return f"{exc}\n{exc.traceback.rstrip()}"
    return str(exc)


def author_message(exc: BaseException) -> str | None:
    if isinstance(exc, (Feedback, StudentProblem)):
        return student_text(exc) or None
    if isinstance(exc, AssertionError):
        text = str(exc)
        # With assertion rewriting, `assert cond, "msg"` reads "msg\nassert <explanation>";
        # without a msg it starts with "assert ". Only the msg is the author's.
        if text.startswith("assert "):
            return None
        return text.partition("\nassert ")[0] or None
    return None


def full_message(exc: BaseException) -> str:
    if isinstance(exc, (Feedback, StudentProblem)):
        return student_text(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def public_message(excinfo: pytest.ExceptionInfo[BaseException], public_dir: Path) -> str:
    inside = str(public_dir) + os.sep
    own = excinfo.traceback.filter(lambda entry: str(entry.path).startswith(inside))
    if not own:  # raised before any public test code ran (a fixture of ours)
        return full_message(excinfo.value)
    excinfo.traceback = own
    text = str(excinfo.getrepr(style="short", chain=False, abspath=False, funcargs=False))
    if isinstance(excinfo.value, StudentError) and "\n" in excinfo.value.traceback.strip():
        text += "\n\n" + excinfo.value.traceback.rstrip()
    return text


def failure_message(
    excinfo: pytest.ExceptionInfo[BaseException], public: bool, policy: str, layout: Layout
) -> str | None:
    if public:
        message: str | None = public_message(excinfo, layout.public_tests)
    elif policy == "none":
        message = None
    elif isinstance(excinfo.value, SqlError) and excinfo.value.safe is not None:
        # Under any policy: PostgreSQL's text can quote this test's inputs.
        message = excinfo.value.safe
    elif isinstance(excinfo.value, StudentError) and policy != "full":
        # The student wrote that text while holding the hidden inputs.
        message = excinfo.value.hidden_text()
    elif policy == "full":
        message = full_message(excinfo.value)
    else:
        message = author_message(excinfo.value)
    return None if message is None else scrub(message, layout)
