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
