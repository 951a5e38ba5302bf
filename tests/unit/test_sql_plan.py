"""EXPLAIN JSON as data: captured from a real PostgreSQL 15 on 100 000 orders."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader_harness.sql.plan import (
    PlanFormatError,
    buffer_ratio,
    efficiency_feedback,
    parse_plan,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seq() -> str:
    return (FIXTURES / "explain_seq_scan.json").read_text()


@pytest.fixture
def joined() -> str:
    return (FIXTURES / "explain_index_join.json").read_text()


def test_seq_scan_summary(seq: str) -> None:
    plan = parse_plan(seq)
    assert plan.has_seq_scan("orders")
    assert plan.scans_on("orders") == {"Seq Scan"}
    assert plan.shared_buffers == 637 and plan.total_cost == pytest.approx(1887.0, abs=1)
    assert plan.indexes_used() == set()


def test_index_join_lists_every_node(joined: str) -> None:
    plan = parse_plan(joined)
    assert not plan.has_seq_scan("orders")
    assert plan.scans_on("orders") == {"Bitmap Heap Scan"}
    assert plan.indexes_used() == {"orders_customer_id_idx"}
    assert plan.shared_buffers == 174  # the top node's hit + read includes its children
    assert plan.nodes[0].node_type == "Nested Loop"


def test_ratio_and_feedback_name_the_scan(seq: str, joined: str) -> None:
    student, reference = parse_plan(seq), parse_plan(joined)
    assert buffer_ratio(student, reference) == pytest.approx(637 / 174)
    text = efficiency_feedback(student, reference, target=2)
    assert "637 buffers" in text and "at most 348" in text
    assert "Seq Scan on orders" in text
    assert "most of it" not in efficiency_feedback(reference, reference, target=2)


@pytest.mark.parametrize("bad", ["", "[]", '[{"Plan": {}}]', "{}", "not json"])
def test_bad_input_is_a_plan_format_error(bad: str) -> None:
    with pytest.raises(PlanFormatError):
        parse_plan(bad)


SUBPLAN = [{"Plan": {
    "Node Type": "Sort", "Total Cost": 900.0, "Actual Rows": 3, "Actual Loops": 1,
    "Shared Hit Blocks": 1510, "Shared Read Blocks": 0,
    "Plans": [{
        "Node Type": "Seq Scan", "Relation Name": "customers", "Total Cost": 800.0,
        "Actual Rows": 3, "Actual Loops": 1, "Shared Hit Blocks": 1510, "Shared Read Blocks": 0,
        "Plans": [{"Node Type": "Seq Scan", "Relation Name": "orders", "Total Cost": 700.0,
                   "Actual Rows": 4, "Actual Loops": 3, "Shared Hit Blocks": 1500,
                   "Shared Read Blocks": 0}],
    }],
}}]


def test_feedback_names_the_scan_that_read_most_itself() -> None:
    """A correlated subquery's buffers count in its outer scan's total too: the
    feedback must name the inner scan, run once per outer row."""
    plan = parse_plan(SUBPLAN)
    by_relation = {n.relation: n for n in plan.nodes if n.relation}
    assert by_relation["customers"].own_buffers == 10
    assert by_relation["orders"].own_buffers == 1500
    worst = plan.biggest_scan()
    assert worst is not None and worst.relation == "orders"
    assert worst.describe() == "Seq Scan on orders (12 rows in 3 loops)"
