"""Group commit: rows of one table that many threads insert at once, written
by one of them in one transaction.

On SQLite the writers of a process take turns (grader.db.writer_queue); in a
deadline burst a POST /submissions held the turn about 2 ms (BEGIN
IMMEDIATE, INSERT, COMMIT) and handing it to the next thread cost about 1 ms
more (a thread woken, the GIL taken back from the event loop): the whole
burst queued behind that chain. Here the caller whose turn comes (the
leader) writes its own row and every row waiting by then, in arrival order,
with one executemany and one commit, then wakes their callers; the earliest
of the rows that arrived meanwhile leads the next group. A row that arrived
after another writer waiting in the writer queue (a submission into an
assignment, the sweep) waits for a later group, so it is not written first.

Each caller still gets its own answer: when the group's INSERT fails on a
row's own fault (a duplicate key, a user deleted meanwhile, a bad value),
the group is rolled back and its rows are written again one transaction
each, in the same order, so only the row at fault fails, with its own error.
A failure of the database itself (OperationalError: locked past its timeout,
disk full; or no write turn within the writer queue's timeout) is every
row's: the leader gets it, each other caller GroupWriteFailed naming it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import OperationalError

from grader.db.session import Database


class GroupWriteFailed(RuntimeError):
    """The group a row was written with failed as a whole (see __cause__)."""


@dataclass(eq=False)
class _Row:
    ticket: tuple[float, int]  # (arrival, sequence): the order rows are written in
    values: dict[str, Any]
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to lead the next group, not because it is written
    written: bool = False
    error: BaseException | None = None


class GroupInsert:
    """Inserts into `table` of `db`, grouped while others are being written."""

    def __init__(self, db: Database, table: Table,
                 stamp: Callable[[], dict[str, Any]] | None = None) -> None:
        """`stamp`: values set on every row of a group as it is written (the
        time it was written, say), into the callers' dicts too."""
        self.db = db
        self.statement = insert(table)
        self.stamp = stamp
        self._mutex = threading.Lock()
        self._pending: list[_Row] = []
        self._leading = False  # a leader is writing; invariant: pending => leading
        self._sequence = itertools.count()
        self.groups = 0  # groups written (for tests and figures)

    def insert(self, values: dict[str, Any], *, arrived: float) -> None:
        """Insert one row, committed on return; `arrived`: its turn (time.time())."""
        row = _Row((arrived, next(self._sequence)), values)
        with self._mutex:
            self._pending.append(row)
            lead = not self._leading
            self._leading = True
        if not lead:
            row.woken.wait()  # the leader writes it, or hands us the lead
            if not row.lead:
                if row.error is not None:
                    raise row.error
                return
        self._lead(row)
        if row.error is not None:
            raise row.error

    def _lead(self, own: _Row) -> None:
        group: list[_Row] = []
        try:
            with self.db.session(arrived=own.ticket[0]) as session:
                # Taken once our turn came: everything that arrived while we waited.
                group = self._take(own)
                if self.stamp is not None:
                    stamp = self.stamp()
                    for r in group:
                        r.values.update(stamp)
                session.connection().execute(self.statement, [r.values for r in group])
            for r in group:
                r.written = True
            self.groups += 1
        except Exception as exc:
            if not group:  # before our turn (a timeout): ours alone; the rest wait on
                own.error = exc
            elif isinstance(exc, OperationalError | TimeoutError):  # the database's
                for r in group:
                    r.error = exc if r is own else _failed(exc)
            else:  # a row's own: a duplicate key, a bad value
                self._one_by_one(group)
        finally:
            self._hand_over(own, group)

    def _hand_over(self, own: _Row, group: list[_Row]) -> None:
        """The earliest row still waiting leads the next group; ours and the
        group's callers get their answers."""
        with self._mutex:
            self._pending = [r for r in self._pending if r is not own]  # if never taken
            if self._pending:
                nxt = min(self._pending, key=_ticket)
                nxt.lead = True
                nxt.woken.set()
            else:
                self._leading = False
        for r in {id(r): r for r in [own, *group]}.values():
            if not r.written and r.error is None:  # cut short (KeyboardInterrupt...)
                r.error = GroupWriteFailed("the write was interrupted")
            if r is not own:
                r.woken.set()

    def _take(self, own: _Row) -> list[_Row]:
        """Our row and every row waiting that arrived before the process's
        next writer in line (the rest wait for a later group, behind it)."""
        before = self.db.writers.earliest_waiting() if self.db.writers is not None else None
        with self._mutex:
            group = [r for r in self._pending
                     if r is own or before is None or r.ticket[0] <= before]
            taken = {id(r) for r in group}
            self._pending = [r for r in self._pending if id(r) not in taken]
        return sorted(group, key=_ticket)

    def _one_by_one(self, group: list[_Row]) -> None:
        for r in group:
            try:
                with self.db.session(arrived=r.ticket[0]) as session:
                    session.connection().execute(self.statement, r.values)
                r.written = True
            except Exception as exc:  # this row's own error, its caller's answer
                r.error = exc


def _ticket(row: _Row) -> tuple[float, int]:
    return row.ticket


def _failed(exc: Exception) -> GroupWriteFailed:
    failed = GroupWriteFailed(f"the rows written with this one failed: {exc}")
    failed.__cause__ = exc
    return failed
