"""Checks tests make on the sql runner's results and plans; failures are Feedback.

The messages say what was measured and how it differs, never what the
reference query is, and never echo the student's rows (a query could select
catalog text into them): counts and positions only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from grader_harness.errors import Feedback
from grader_harness.sql.plan import PlanSummary, buffer_ratio, efficiency_feedback
from grader_harness.sql.session import Result


def _key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(value) for value in row)  # sortable whatever the types (None too)


def assert_same_rows(got: Result, expected: Result, *, ordered: bool = True,
                     check_columns: bool = False, what: str = "your query") -> None:  # fmt: skip
    """The student's rows equal the reference's (in order if `ordered`)."""
    __tracebackhide__ = True
    if check_columns and got.columns != expected.columns:
        raise Feedback(f"{what} returns the columns {list(got.columns)}; "
                       f"expected {list(expected.columns)}")  # fmt: skip
    width = len(expected.columns)
    if len(got.columns) != width:
        raise Feedback(f"{what} returns {len(got.columns)} columns; expected {width}")
    if len(got.rows) != len(expected.rows):
        raise Feedback(f"{what} returns {len(got.rows)} rows; expected {len(expected.rows)}")
    if ordered:
        for number, (mine, theirs) in enumerate(zip(got.rows, expected.rows, strict=True), 1):
            if _key(mine) != _key(theirs):
                in_set = Counter(map(_key, got.rows)) == Counter(map(_key, expected.rows))
                why = "the right rows in the wrong order" if in_set else "a row that differs"
                raise Feedback(f"{what}: row {number} is not the expected one ({why})")
        return
    missing = Counter(map(_key, expected.rows)) - Counter(map(_key, got.rows))
    if missing:
        count = sum(missing.values())
        raise Feedback(f"{what}: {count} of the {len(expected.rows)} expected rows are missing "
                       "(replaced by other rows)")  # fmt: skip


def assert_buffers_within(student: PlanSummary, reference: PlanSummary, factor: float,
                          what: str = "your query") -> None:  # fmt: skip
    """Shared buffers (hit + read) at most `factor` times the reference's."""
    __tracebackhide__ = True
    if buffer_ratio(student, reference) > factor:
        text = efficiency_feedback(student, reference, target=factor)
        raise Feedback(text.replace("your query", what, 1))


def assert_no_seq_scan(plan: PlanSummary, relation: str, what: str = "your query") -> None:
    __tracebackhide__ = True
    if plan.has_seq_scan(relation):
        node = next(n for n in plan.nodes if n.relation == relation and n.node_type == "Seq Scan")
        raise Feedback(f"{what} reads all of {relation}: {node.describe()}, "
                       f"{node.shared_buffers} buffers")  # fmt: skip
