"""The `sql` runner: the student's SQL in a PostgreSQL server owned by the harness.

No student process exists: the harness runs the student's files itself, as
a database role that may only read (queries) or only create indexes (index
files). The server is a fresh copy of the cluster built with the exercise
image (sql/cluster.py), started once per run; the student's index files are
applied to every dataset before the first test. Tests get the `sql`
fixture (SqlTools) to run and explain the student's and the reference's
queries on each dataset, and the checks of sql/compare.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from grader_harness.errors import Feedback, SqlError, StartupFailed
from grader_harness.sql import compare, prestart
from grader_harness.sql.plan import PlanSummary
from grader_harness.sql.server import Server, ServerFailed
from grader_harness.sql.session import Result, SqlSession
from grader_harness.sql.statements import SqlFileError, single_query
from grader_harness.state import STATE_KEY, RunState

DEFAULT_MAX_INDEXES = 5


class SqlTools:
    """What a test of the sql runner works with (the `sql` fixture)."""

    assert_same_rows = staticmethod(compare.assert_same_rows)
    assert_buffers_within = staticmethod(compare.assert_buffers_within)
    assert_no_seq_scan = staticmethod(compare.assert_no_seq_scan)

    def __init__(self, session: SqlSession, workspace: Path, reference: Path) -> None:
        self.session = session
        self.datasets = session.datasets
        self._workspace = workspace
        self._reference = reference

    def student_file(self, name: str = "query.sql") -> str:
        """The student's query file, checked to hold one SELECT (Feedback if not)."""
        __tracebackhide__ = True
        path = self._workspace / name
        if not path.is_file():
            raise Feedback(f"{name} is missing from your submission")
        try:
            return single_query(path.read_text(encoding="utf-8"), filename=name)
        except SqlFileError as exc:
            raise SqlError(str(exc)) from None

    def reference_file(self, name: str = "query.sql") -> str:
        path = self._reference / name
        if not path.is_file():  # the exercise's fault, not the student's
            raise RuntimeError(f"the reference solution has no {name}")
        return single_query(path.read_text(encoding="utf-8"), filename=name)

    def student(self, name: str = "query.sql", *, dataset: str = "main",
                params: Sequence[Any] = ()) -> Result:  # fmt: skip
        __tracebackhide__ = True
        return self.session.query(self.student_file(name), dataset=dataset, params=params,
                                  what=f"your {name}")  # fmt: skip

    def reference(self, name: str = "query.sql", *, dataset: str = "main",
                  params: Sequence[Any] = ()) -> Result:  # fmt: skip
        return self.session.query(self.reference_file(name), side="reference", dataset=dataset,
                                  params=params, what=f"the reference {name}")  # fmt: skip

    def explain_student(self, name: str = "query.sql", *, dataset: str = "main",
                        params: Sequence[Any] = ()) -> PlanSummary:  # fmt: skip
        __tracebackhide__ = True
        return self.session.explain(self.student_file(name), dataset=dataset, params=params,
                                    what=f"your {name}")  # fmt: skip

    def explain_reference(self, name: str = "query.sql", *, dataset: str = "main",
                          params: Sequence[Any] = ()) -> PlanSummary:  # fmt: skip
        return self.session.explain(self.reference_file(name), side="reference",
                                    dataset=dataset, params=params,
                                    what=f"the reference {name}")  # fmt: skip

    def query(self, text: str, *, side: str = "student", dataset: str = "main",
              params: Sequence[Any] = ()) -> Result:  # fmt: skip
        """Run the exercise's own query (e.g. the app's hot lookup) on a side's schema."""
        __tracebackhide__ = True
        return self.session.query(text, side=side, dataset=dataset, params=params,
                                  what="the exercise's query")  # fmt: skip

    def explain(self, text: str, *, side: str = "student", dataset: str = "main",
                params: Sequence[Any] = ()) -> PlanSummary:  # fmt: skip
        __tracebackhide__ = True
        return self.session.explain(text, side=side, dataset=dataset, params=params,
                                    what="the exercise's query")  # fmt: skip

    def student_indexes(self, dataset: str = "main") -> list[str]:
        """CREATE INDEX definitions of the indexes your index files made."""
        return self.session.student_indexes(dataset)


def _start(state: RunState) -> SqlSession:
    options = state.config.options
    layout = state.layout
    pending = prestart.take()
    scratch = pending.scratch if pending else prestart.scratch_dir(layout.sql_scratch)
    session = SqlSession(layout.sql_template, scratch, options.get("datasets", ["main"]),
                         state.call_timeout)  # fmt: skip
    try:
        if pending is not None and pending.error is not None:
            raise ServerFailed(str(pending.error))
        server = pending.server if pending is not None else None
        assert server is None or isinstance(server, Server)
        session.start(server, pending.copy_seconds if pending else 0.0,
                      pending.connections if pending else None)  # fmt: skip
    except ServerFailed as exc:
        state.fault = f"the exercise's database did not start: {exc}"
        raise RuntimeError(state.fault) from None
    for name in options.get("index_files", []):
        path = state.workspace / str(name)
        if not path.is_file():
            continue  # a missing index file is no index at all (submission rules decide)
        try:
            session.apply_indexes(path.read_text(encoding="utf-8"), str(name),
                                  int(options.get("max_indexes", DEFAULT_MAX_INDEXES)))
        except SqlFileError as exc:
            _close(session, state)
            raise StartupFailed(f"your {name} was refused: {exc}",
                                f"your {name} was refused") from None
    return session


@pytest.fixture(scope="session", autouse=True)
def _grader_sql(request: pytest.FixtureRequest) -> Iterator[SqlSession]:
    state: RunState = request.config.stash[STATE_KEY]
    try:
        session = _start(state)
    except StartupFailed as exc:
        state.startup_message = str(exc)
        exc.shared = True
        raise
    yield session
    _close(session, state)


def _close(session: SqlSession, state: RunState) -> None:
    session.close()
    scratch = session.server.socket_dir
    if scratch != state.layout.sql_scratch:  # a host folder of ours, not the sandbox's tmpfs
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def sql(_grader_sql: SqlSession, request: pytest.FixtureRequest) -> SqlTools:
    layout = request.config.stash[STATE_KEY].layout
    return SqlTools(_grader_sql, layout.workspace, layout.reference)
