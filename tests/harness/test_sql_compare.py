"""The sql runner's checks: result sets and buffers, as the student reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grader_harness.errors import Feedback
from grader_harness.sql.compare import assert_buffers_within, assert_no_seq_scan, assert_same_rows
from grader_harness.sql.plan import PlanNode, PlanSummary
from grader_harness.sql.session import Result

EXPECTED = Result(("id", "total"), [(1, Decimal("2.50")), (2, None), (3, Decimal("1.00"))])


def plan(buffers: int, node_type: str = "Index Scan") -> PlanSummary:
    node = PlanNode(node_type, "orders", None, 5, 1, buffers, buffers)
    return PlanSummary(10.0, buffers, 5, (node,))


def test_same_rows_pass_with_other_column_names() -> None:
    assert_same_rows(Result(("a", "b"), list(EXPECTED.rows)), EXPECTED)
    with pytest.raises(Feedback, match=r"returns the columns \['a', 'b'\]; expected"):
        assert_same_rows(Result(("a", "b"), list(EXPECTED.rows)), EXPECTED, check_columns=True)


@pytest.mark.parametrize(("rows", "message"), [
    ([(1, Decimal("2.50")), (2, None)], "returns 2 rows; expected 3"),
    ([(1, Decimal("2.50")), (3, Decimal("1.00")), (2, None)], "row 2 .*wrong order"),
    ([(1, Decimal("2.50")), (2, 0), (3, Decimal("1.00"))], "row 2 .*a row that differs"),
])
def test_ordered_differences_are_named_by_position(rows: list[tuple[object, ...]],
                                                    message: str) -> None:
    with pytest.raises(Feedback, match=message) as caught:
        assert_same_rows(Result(("id", "total"), rows), EXPECTED, what="your query")
    assert "Decimal" not in str(caught.value)  # never the rows themselves


def test_unordered_compares_multisets() -> None:
    shuffled = Result(("id", "total"), list(reversed(EXPECTED.rows)))
    assert_same_rows(shuffled, EXPECTED, ordered=False)
    twice = Result(("id", "total"), [EXPECTED.rows[0]] * 3)
    with pytest.raises(Feedback, match="2 of the 3 expected rows are missing"):
        assert_same_rows(twice, EXPECTED, ordered=False)


def test_column_count_must_match() -> None:
    with pytest.raises(Feedback, match="returns 1 columns; expected 2"):
        assert_same_rows(Result(("id",), [(1,), (2,), (3,)]), EXPECTED)


def test_buffers_within_factor_names_measured_and_target() -> None:
    assert_buffers_within(plan(12), plan(6), 2)
    with pytest.raises(Feedback) as caught:
        assert_buffers_within(plan(642, "Seq Scan"), plan(6), 2, what="your query for 2024-01-01")
    assert str(caught.value) == (
        "your query for 2024-01-01 read 642 buffers; the target is at most 12 (2x the "
        "reference's 6); that is 107.0x; most of it in: Seq Scan on orders (5 rows)")


def test_no_seq_scan() -> None:
    assert_no_seq_scan(plan(6), "orders")
    with pytest.raises(Feedback, match=r"reads all of orders: Seq Scan on orders .*, 700 buffers"):
        assert_no_seq_scan(plan(700, "Seq Scan"), "orders")
