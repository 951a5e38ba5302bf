"""The plan of the execution that just ran, as auto_explain reported it.

The query roles' sessions have auto_explain on (settings.AUTO_EXPLAIN): when
a statement's executor ends, the server sends its plan, with actual rows and
buffers, as a NOTICE on the same connection. For our statements (one
SELECT, extended protocol, unnamed portal) the executor ends when the next
statement replaces that portal: the transaction's ROLLBACK, so the NOTICE
arrives before the ROLLBACK's reply, and one execution gives both the rows
and the plan that are graded. Nothing else can be measured instead.

Only NOTICEs raised by auto_explain's own code count (the server names the
source function; a query cannot choose it), and exactly one plan per
execution, for exactly the text we sent.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg.errors import Diagnostic

from grader_harness.sql.plan import MEASURED_DIFFERENTLY, PlanFormatError, PlanSummary, parse_plan

SOURCE_FUNCTION = "explain_ExecutorEnd"
_MARK = "plan:\n"


class NoPlan(RuntimeError):
    """auto_explain sent no plan: the image or the cluster is wrong, not the student."""


class PlanCollector:
    """A connection's notice handler that keeps auto_explain's plans."""

    def __init__(self) -> None:
        self._texts: list[str] = []

    def __call__(self, diag: Diagnostic) -> None:
        if diag.source_function == SOURCE_FUNCTION and diag.message_primary:
            self._texts.append(diag.message_primary)

    def clear(self) -> None:
        self._texts.clear()

    def take(self, text: str) -> PlanSummary:
        """The one plan reported for `text` since clear(); NoPlan if none,
        ValueError (MEASURED_DIFFERENTLY) if more than one."""
        found: list[dict[str, Any]] = []
        for message in self._texts:
            _, mark, body = message.partition(_MARK)
            try:
                data = json.loads(body) if mark else None
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("Query Text") == text:
                found.append(data)
        self._texts.clear()
        if not found:
            raise NoPlan("the sql runner got no plan for an execution: is auto_explain in "
                         "shared_preload_libraries and set for the query roles?")  # fmt: skip
        if len(found) > 1:
            raise ValueError(f"{MEASURED_DIFFERENTLY}: it reported {len(found)} plans")
        try:
            return parse_plan(found[0])
        except PlanFormatError as exc:
            raise NoPlan(f"auto_explain's plan could not be read: {exc}") from None
