"""grader.services.per_database: one object per Database, dropped with it."""

from __future__ import annotations

import gc
from pathlib import Path

from grader.db import Database
from grader.services.per_database import PerDatabase


def test_one_object_per_database_made_once_and_dropped_with_it(tmp_path: Path) -> None:
    made: list[object] = []

    def make() -> object:
        made.append(object())
        return made[-1]

    memo: PerDatabase[object] = PerDatabase()
    first = Database(f"sqlite:///{tmp_path / 'a.db'}")
    second = Database(f"sqlite:///{tmp_path / 'b.db'}")
    assert memo.get(first, make) is memo.get(first, make) is made[0]
    assert memo.get(second, make) is made[1] and len(made) == 2  # another database, its own
    first.dispose()
    del first
    gc.collect()
    assert len(memo._made) == 1  # the first database's object went with it
