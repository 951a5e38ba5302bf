"""EXPLAIN JSON as data: captured from a real PostgreSQL 15 on 100 000 orders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader_harness.sql.plan import (
    MEASURED_DIFFERENTLY,
    PlanFormatError,
    buffer_ratio,
    efficiency_feedback,
    measurement_problem,
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


def _node(node_type: str, rows: int, loops: int, relation: str | None = None,
          children: list[dict[str, object]] | None = None) -> dict[str, object]:  # fmt: skip
    node: dict[str, object] = {"Node Type": node_type, "Total Cost": 10.0, "Actual Rows": rows,
                               "Actual Loops": loops, "Shared Hit Blocks": 5 * loops}
    if relation:
        node["Relation Name"] = relation
    if children:
        node["Plans"] = children
    return node


def test_auto_explain_json_is_one_object_not_a_list(seq: str) -> None:
    """auto_explain prints {"Query Text": ..., "Plan": ...}; EXPLAIN a list of one."""
    as_list = json.loads(seq)
    from_notice = parse_plan({"Query Text": "SELECT 1", **as_list[0]})
    assert from_notice == parse_plan(as_list)
    assert parse_plan(json.dumps({"Query Text": "x", **as_list[0]})) == from_notice


def test_an_honest_plan_is_not_refused(seq: str) -> None:
    plan = parse_plan(seq)
    assert measurement_problem(plan, plan.rows) is None


def test_top_rows_differing_from_the_rows_returned_is_refused(seq: str) -> None:
    plan = parse_plan(seq)
    problem = measurement_problem(plan, plan.rows + 1)
    assert problem is not None and problem.startswith(MEASURED_DIFFERENTLY)
    assert f"produced {plan.rows} rows, but it returned {plan.rows + 1}" in problem


def test_a_plan_that_never_ran_is_refused() -> None:
    """The review's forgery: a one-time filter false when measured, 0 buffers."""
    never = {"Plan": _node("Result", 0, 0, children=[_node("Seq Scan", 0, 0, "orders")])}
    problem = measurement_problem(parse_plan(never), 0)
    assert problem == f"{MEASURED_DIFFERENTLY}: its plan was never executed"
    assert parse_plan(never).nodes[1].describe() == "Seq Scan on orders (never executed)"


def test_rows_while_no_scan_ran_is_refused() -> None:
    gated = {"Plan": _node("Append", 3, 1, children=[
        _node("Result", 0, 1, children=[_node("Seq Scan", 0, 0, "orders")]),
        _node("Values Scan", 3, 1)])}  # fmt: skip
    problem = measurement_problem(parse_plan(gated), 3)
    assert problem is not None and "none of its scans ran" in problem


def test_a_scan_that_did_not_run_in_a_running_plan_is_normal() -> None:
    """A hash join whose outer side is empty never builds its hash; an empty
    result of a one-time filter never scans: both honest."""
    join = {"Plan": _node("Hash Join", 0, 1, children=[
        _node("Seq Scan", 0, 1, "orders"),
        _node("Hash", 0, 0, children=[_node("Seq Scan", 0, 0, "customers")])])}  # fmt: skip
    assert measurement_problem(parse_plan(join), 0) is None
    one_time = {"Plan": _node("Result", 0, 1, children=[_node("Seq Scan", 0, 0, "orders")])}
    assert measurement_problem(parse_plan(one_time), 0) is None
    case_branch = {"Plan": _node("Seq Scan", 7, 1, "customers", children=[
        _node("Index Scan", 0, 0, "orders")])}  # fmt: skip
    assert measurement_problem(parse_plan(case_branch), 7) is None
