"""Reading `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` as data.

Efficiency is graded on what stays constant from run to run (measured here:
shared buffers hit + read and total cost were identical across runs, warm or
cold; execution time varied 2x), never on time. Pure functions: no database.
The plans come from auto_explain (session.py), which prints the same JSON as
EXPLAIN without the list around it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlanNode:
    node_type: str  # "Seq Scan", "Index Only Scan", "Hash Join", ...
    relation: str | None
    index: str | None
    rows: int  # actual rows over all loops
    loops: int  # 0: never executed
    shared_buffers: int  # hit + read, this node and its children
    own_buffers: int = 0  # hit + read of this node alone (children's subtracted)

    def describe(self) -> str:
        where = f" on {self.relation}" if self.relation else ""
        using = f" using {self.index}" if self.index else ""
        if self.loops == 0:
            return f"{self.node_type}{where}{using} (never executed)"
        loops = f" in {self.loops} loops" if self.loops > 1 else ""
        return f"{self.node_type}{where}{using} ({self.rows} rows{loops})"


@dataclass(frozen=True)
class PlanSummary:
    total_cost: float
    shared_buffers: int  # shared hit + read of the whole plan: the efficiency figure
    rows: int
    nodes: tuple[PlanNode, ...]

    def scans_on(self, relation: str) -> set[str]:
        """Node types that read `relation` ("Seq Scan", "Index Scan", ...)."""
        return {n.node_type for n in self.nodes if n.relation == relation}

    def has_seq_scan(self, relation: str) -> bool:
        return "Seq Scan" in self.scans_on(relation)

    def indexes_used(self) -> set[str]:
        return {n.index for n in self.nodes if n.index}

    def biggest_scan(self) -> PlanNode | None:
        """The scan that touched the most buffers itself: what feedback should name.
        By its own buffers: a scan's total also counts subplans run per row
        (a correlated subquery), which are what scanned too much."""
        scans = [n for n in self.nodes if n.relation]
        return max(scans, key=lambda n: (n.own_buffers, n.shared_buffers), default=None)


class PlanFormatError(ValueError):
    """Not the JSON that EXPLAIN (FORMAT JSON) prints."""


def _buffers(node: dict[str, Any]) -> int:
    return int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))


def _walk(node: dict[str, Any]) -> Iterator[PlanNode]:
    loops = int(node.get("Actual Loops", 1))
    children = node.get("Plans", [])
    yield PlanNode(
        node_type=str(node["Node Type"]),
        relation=node.get("Relation Name"),
        index=node.get("Index Name"),
        rows=int(node.get("Actual Rows", node.get("Plan Rows", 0))) * loops,
        loops=loops,
        shared_buffers=_buffers(node),
        own_buffers=max(0, _buffers(node) - sum(_buffers(child) for child in children)),
    )
    for child in children:
        yield from _walk(child)


def parse_plan(explain_output: str | list[Any] | dict[str, Any]) -> PlanSummary:
    """Summarise EXPLAIN's JSON (the text psql prints, or psycopg's decoded value),
    or auto_explain's (one object, not a list of one)."""
    try:
        data = json.loads(explain_output) if isinstance(explain_output, str) else explain_output
        top = (data if isinstance(data, dict) else data[0])["Plan"]
        return PlanSummary(
            total_cost=float(top["Total Cost"]),
            shared_buffers=_buffers(top),
            rows=int(top.get("Actual Rows", top.get("Plan Rows", 0))),
            nodes=tuple(_walk(top)),
        )
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise PlanFormatError(f"not EXPLAIN (FORMAT JSON) output: {exc}") from None


MEASURED_DIFFERENTLY = "the query behaved differently when measured"


def measurement_problem(plan: PlanSummary, returned_rows: int) -> str | None:
    """Why this plan cannot be the execution that returned `returned_rows`, or None.

    The plan and the rows come from one execution, so this never fires for an
    honest query; it is the check that would catch a measurement taken apart
    from the graded rows: a plan whose top node produced another number of
    rows, or one that never ran (a condition that was false when measured),
    or rows returned while every table the plan reads was never scanned.
    A scan that did not run in an otherwise running plan is normal (the
    inner side of a join whose outer side is empty, a CASE branch not
    taken), so only "none of them ran" counts."""
    top = plan.nodes[0] if plan.nodes else None
    if top is None or top.loops == 0:
        return f"{MEASURED_DIFFERENTLY}: its plan was never executed"
    if plan.rows != returned_rows:
        return (f"{MEASURED_DIFFERENTLY}: its plan produced {plan.rows} rows, "
                f"but it returned {returned_rows}")  # fmt: skip
    scans = [node for node in plan.nodes if node.relation]
    if returned_rows and scans and all(node.loops == 0 for node in scans):
        return f"{MEASURED_DIFFERENTLY}: it returned rows, but none of its scans ran"
    return None


def buffer_ratio(student: PlanSummary, reference: PlanSummary) -> float:
    """How many times the reference's buffers the student's query touched."""
    return student.shared_buffers / max(1, reference.shared_buffers)


def efficiency_feedback(student: PlanSummary, reference: PlanSummary, *, target: float) -> str:
    """What was measured, in words a student can act on, without the reference query."""
    ratio = buffer_ratio(student, reference)
    text = (
        f"your query read {student.shared_buffers} buffers; the target is at most "
        f"{int(reference.shared_buffers * target)} ({target:g}x the reference's "
        f"{reference.shared_buffers}); that is {ratio:.1f}x"
    )
    worst = student.biggest_scan()
    if worst is not None and ratio > target:
        text += f"; most of it in: {worst.describe()}"
    return text
