"""auto_explain's NOTICEs read as the plan of the execution that just ran (no database)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import pytest
from psycopg.errors import Diagnostic

from grader_harness.sql.measure import SOURCE_FUNCTION, NoPlan, PlanCollector
from grader_harness.sql.plan import MEASURED_DIFFERENTLY

TEXT = "SELECT id FROM orders WHERE customer_id = $1"
PLAN = {"Node Type": "Index Scan", "Relation Name": "orders", "Index Name": "orders_customer",
        "Total Cost": 8.3, "Actual Rows": 3, "Actual Loops": 1, "Shared Hit Blocks": 4,
        "Shared Read Blocks": 1}


@dataclass
class Notice:  # the two fields of psycopg's Diagnostic the collector reads
    message_primary: str | None
    source_function: str | None = SOURCE_FUNCTION


def feed(collector: PlanCollector, *notices: Notice) -> None:
    for one in notices:
        collector(cast(Diagnostic, one))


def notice(text: str = TEXT, plan: dict[str, object] = PLAN) -> Notice:
    body = json.dumps({"Query Text": text, "Plan": plan}, indent=2)
    return Notice(f"duration: 0.123 ms  plan:\n{body}")


def test_the_plan_of_the_text_sent() -> None:
    collector = PlanCollector()
    feed(collector, notice("SELECT 1"))  # another statement's plan (ours, e.g. a warm-up)
    feed(collector, Notice("text-search query contains only stop words", "cleanup_tsquery"))
    feed(collector, notice())
    plan = collector.take(TEXT)
    assert plan.shared_buffers == 5 and plan.rows == 3
    assert plan.indexes_used() == {"orders_customer"}


def test_a_notice_from_elsewhere_is_never_a_plan() -> None:
    """Only auto_explain's own code counts: the server names the function, not the query."""
    collector = PlanCollector()
    forged = notice()
    forged.source_function = "exec_stmt_raise"
    feed(collector, forged)
    with pytest.raises(NoPlan):
        collector.take(TEXT)


def test_two_plans_for_one_execution_are_refused() -> None:
    collector = PlanCollector()
    feed(collector, notice())
    feed(collector, notice())
    with pytest.raises(ValueError, match=MEASURED_DIFFERENTLY):
        collector.take(TEXT)


def test_clear_and_take_leave_nothing_behind() -> None:
    collector = PlanCollector()
    feed(collector, notice())
    collector.clear()
    with pytest.raises(NoPlan, match="auto_explain"):
        collector.take(TEXT)
    feed(collector, notice())
    collector.take(TEXT)
    with pytest.raises(NoPlan):
        collector.take(TEXT)


@pytest.mark.parametrize("message", ["duration: 1 ms  plan:\nnot json", "duration: 1 ms", ""])
def test_unreadable_notices_are_skipped(message: str) -> None:
    collector = PlanCollector()
    feed(collector, Notice(message))
    with pytest.raises(NoPlan):
        collector.take(TEXT)
