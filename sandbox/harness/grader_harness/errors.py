"""Exceptions of the harness, sorted by who may read their text.

Student-facing (StudentProblem and Feedback): their text is written for the
student and is shown even for hidden tests, so it must never quote a hidden
test. Harness-internal (DeadlineReached, HarnessFault, BadRequest): they steer
the run and never reach a test result as such.

Pure stdlib: the proxy server imports this package as the student.
"""

from __future__ import annotations

import builtins

# Longest text we keep from anything the student's process sends us.
MAX_STUDENT_TEXT = 2_000


def clip(text: str, limit: int = MAX_STUDENT_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 16] + " [... truncated]"


class Feedback(AssertionError):
    """Raised by a test to fail with a message the student may always read.

    It is an AssertionError, so pytest counts it as an ordinary failure."""


class StudentProblem(Exception):
    """A failure of the student's code, explained in words safe to show."""


class StudentError(StudentProblem):
    """The student's code raised an exception (python runner)."""

    def __init__(self, type: str, message: str, traceback: str = "") -> None:
        self.type = clip(type, 200)
        self.message = clip(message)
        # The student's own frames only, paths relative to the workspace.
        self.traceback = clip(traceback, 4_000)
        text = f"your code raised {self.type}: {self.message}" if self.message else (
            f"your code raised {self.type}"
        )
        super().__init__(text)

    def hidden_text(self) -> str:
        """What a hidden test may say: the type if Python defines it, nothing the
        student wrote. The message, the traceback's lines and a class of the
        student's own naming can all carry the hidden test's inputs out."""
        known = isinstance(getattr(builtins, self.type, None), type)
        kind = self.type if known else "an exception of your own"
        return f"your code raised {kind} (its text is not shown for hidden tests)"


class StudentTimeout(StudentProblem):
    """A call or a request did not finish within the per-call time limit."""


class StudentCrashed(StudentProblem):
    """The student's process ended (crash, memory, output limit) during a call."""


class AppNotAnswering(StudentProblem):
    """The student's app is running but closed a connection without answering."""


class SqlError(StudentProblem):
    """The database refused the student's SQL (sql runner): PostgreSQL's own
    error about the student's statement, or a file the runner will not run.

    str() is the detailed text, PostgreSQL's message included. `safe` is the
    same failure without it ("... failed on dataset 'main': data exception
    (SQLSTATE class 22)"): PostgreSQL's text can quote a hidden test's
    parameters or any row, so hidden tests show `safe` whatever their
    hidden_messages policy (messages.failure_message). None when the text
    holds nothing but the student's own file's content (a refused file)."""

    def __init__(self, message: str, *, sqlstate: str | None = None,
                 safe: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.sqlstate = sqlstate
        self.safe = safe


class StartupFailed(StudentProblem):
    """The student's app did not start, or the student's module did not import."""

    def __init__(self, text: str, summary: str) -> None:
        super().__init__(text)
        self.summary = summary  # one line, e.g. "the app did not start"
        # True once the report's message carries the full text: each test
        # then says only the summary instead of repeating the traceback.
        self.shared = False


class DeadlineReached(BaseException):
    """The harness's wall-clock deadline passed.

    A BaseException so that a test's `except Exception:` cannot swallow it;
    pytest still records it as the failure of the phase that was running."""


class HarnessFault(Exception):
    """Something the student did not cause: a broken exercise, a broken image,
    a bug of ours. The harness then writes no report and exits non-zero, so the
    host treats the grading as an infrastructure fault."""


class BadRequest(Exception):
    """The request on stdin cannot be graded; answered with an error report."""
