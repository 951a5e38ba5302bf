"""The service's Catalog reloads packs behind the requests, never in them.

A request that came after the ttl used to read and hash every pack itself
(the POST /submissions outliers); now it is answered from the packs already
loaded while one background reload runs. Deterministic: the reload is held
on an Event, and the request must finish while it is held.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from grader.exercises.pack import ExercisePack
from grader.services import catalog as catalog_module
from grader.services.catalog import Catalog
from tests.helpers.service_fakes import SLUG, make_pack

BOUND = 10.0  # seconds; only reached when the code under test blocks


def wait_until(condition: Any) -> None:
    done = threading.Event()
    for _ in range(int(BOUND / 0.01)):
        if condition():
            return
        done.wait(0.01)
    pytest.fail("the background reload never finished")


def test_the_first_use_loads_and_later_ones_do_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pack(tmp_path)
    catalog = Catalog(tmp_path, ttl=0.0)
    first = catalog.get(SLUG)  # nothing loaded yet: loads now
    held = threading.Event()
    calls: list[Path] = []
    real_load = catalog_module.load_pack

    def slow_load(path: Path) -> ExercisePack:
        calls.append(path)
        assert held.wait(BOUND), "the test never released the reload"
        return real_load(path)

    monkeypatch.setattr(catalog_module, "load_pack", slow_load)
    answers: list[ExercisePack] = []
    asking = threading.Thread(target=lambda: answers.extend(catalog.get(SLUG) for _ in range(3)))
    asking.start()
    asking.join(BOUND)
    assert not asking.is_alive(), "get() waited for the reload"
    assert answers == [first] * 3  # the packs already loaded
    wait_until(lambda: calls)  # and exactly one reload started behind them
    assert len(calls) == 1
    held.set()
    wait_until(lambda: not catalog._reloading)
    assert catalog.get(SLUG).content_hash == first.content_hash


def test_a_failed_background_reload_keeps_the_packs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pack(tmp_path)
    catalog = Catalog(tmp_path, ttl=0.0)
    first = catalog.get(SLUG)

    def broken(root: Any) -> list[Path]:
        raise PermissionError(f"{root}: permission denied")

    monkeypatch.setattr(catalog_module, "discover", broken)
    assert catalog.get(SLUG) is first
    wait_until(lambda: not catalog._reloading)
    assert catalog.get(SLUG) is first
