"""One object per Database in this process, made on first use.

Process-wide caches (token_cache.py, submit_caches.py) are kept per Database
object, weakly: a test or a tool with its own database never sees another's
answers, and an object goes when its Database does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from grader.db import Database

T = TypeVar("T")


class PerDatabase(Generic[T]):
    def __init__(self) -> None:
        self._made: WeakKeyDictionary[Database, T] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, db: Database, make: Callable[[], T]) -> T:
        """This database's object; `make()` builds it the first time."""
        with self._lock:
            made = self._made.get(db)
            if made is None:
                made = self._made[db] = make()
            return made
