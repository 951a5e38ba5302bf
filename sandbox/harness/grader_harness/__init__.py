"""The grading harness: runs inside the sandbox image as root, the student's
code as the `student` user, the exercise's pytest tests against it.

    python -m grader_harness < request.json > report.json

Writing tests (the API test authors rely on)
============================================

Tests are ordinary pytest files in the exercise's `tests/` (hidden: the
student never sees them) and `public_tests/` (the student has them and sees
pytest's full failure text). Test module names must be unique across both
folders. No pytest.ini or plugin autoload: what you need goes in a
conftest.py inside those folders.

Markers:
    @pytest.mark.points(2)            worth 2 points, all or nothing (default 1)
    @pytest.mark.hint("Check ...")    shown to the student when the test fails

A test's name in the report is the first line of its docstring (else its
function name); students see it, and the test's id (tests/test_x.py::test_y).
Points are all or nothing; the hint shows only when the test failed (not
when it could not run). A skipped test counts for nothing (0 of 0 points).

What the student reads of a failing hidden test depends on the exercise's
`hidden_messages`: "none" (only the hint), "author" (default: only
`assert cond, "message"` messages, `raise Feedback("...")` and the harness's
own errors below), "full" (the exception's type and text, no source). Use
`raise Feedback("...")` or an assert message, not pytest.fail(), for text
the student must see.

Fixtures of every runner:
    data_dir      Path   the exercise's data folder (read-only)
    workspace     Path   the student's files (read them, never write)
    call_timeout  float  seconds one call or request may take

Runner `python` (options: {"module": "passwords"}):
    student       the student's module in its own process, as the student.
                  `student.hash_password("pw")` calls the function with
                  JSON-able arguments and returns its JSON result (tuples come
                  back as lists). It raises:
                    StudentError     the function raised; .type ("ValueError"),
                                     .message, .traceback (the student's frames)
                    StudentTimeout   it ran longer than call_timeout; the
                                     process is restarted for the next call
                    StudentCrashed   the process died (crash, memory, output)
                  A restart imports the module again: module state is lost.

Runner `http-app` (options: {"app": "app.main:app"}):
    base_url      str    "http://127.0.0.1:<port>" of the student's app
    client        httpx.Client with that base_url and timeout=call_timeout;
                  a request that times out raises StudentTimeout, an app that
                  died raises StudentCrashed, one that dropped the connection
                  AppNotAnswering. An app that stopped is started again
                  before the next test (its state is lost).
    app_log       callable returning the app's output so far (a tail)
    client_from   client_from("127.0.0.2") -> httpx.Client whose requests the
                  app sees from that loopback address (request.client.host);
                  proxy headers are off, X-Forwarded-For is just a header
    The app's environment gets the exercise's options["env"] (app_env.py).

`clock` (http-app and python runners): the student process's wall clock
(time.time, time_ns, datetime now/utcnow/today, date.today), never
time.monotonic: clock.advance(seconds), clock.set(datetime), clock.now(),
clock.time(). The offset stays for the rest of the run (clock.py).

Runner `sql` (options: {"datasets": ["main", "alt"], "index_files": [...],
"max_indexes": 5}; docs/authoring.md section 13):
    sql           SqlTools: sql.student("query.sql", dataset=, params=) and
                  sql.reference(...) return Result(columns, rows);
                  explain_student / explain_reference / explain(text, side=)
                  return a PlanSummary (shared buffers hit + read, nodes);
                  sql.query(text, side="student"|"reference") runs the
                  exercise's own query; sql.student_indexes(dataset);
                  checks assert_same_rows, assert_buffers_within,
                  assert_no_seq_scan raise Feedback. The student's SQL errors
                  raise SqlError, a cancelled query StudentTimeout.

Limits. The whole run ends by wall_seconds - 1 s: the test running then
fails with a timeout message, tests not yet run are errors ("not run") that
still count in max_score. Output of the student's processes counts against
output_bytes; past it they are stopped. A student process killed by SIGKILL
the harness did not send is taken as the memory limit.

The report (report.py) lists every test with its outcome, points, hint,
message and, for authors only, what was printed while it ran
(author_output); limits hit are its status: memory_exceeded >
output_exceeded > timeout > error (no test could run) > failed > passed.
"""

from grader_harness.errors import (
    AppNotAnswering,
    Feedback,
    SqlError,
    StudentCrashed,
    StudentError,
    StudentProblem,
    StudentTimeout,
)

__all__ = [
    "AppNotAnswering",
    "Feedback",
    "SqlError",
    "StudentCrashed",
    "StudentError",
    "StudentProblem",
    "StudentTimeout",
]
