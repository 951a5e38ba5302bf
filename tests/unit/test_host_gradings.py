"""The count of a worker's running gradings across its processes
(sandbox/host_gradings.py): real processes, real locks, no Docker."""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import time
from pathlib import Path

import docker
import pytest
import requests

from sandbox import host_gradings
from sandbox.engine import engine_cores
from sandbox.host_gradings import HostGradings
from sandbox.pool import WarmPool
from sandbox.refill_gate import FREE_CORE_SECONDS, RefillGate

FORK = multiprocessing.get_context("fork")


def hold(folder: Path, scope: str, started: object, stop: object) -> None:
    with HostGradings(scope, folder).running():
        started.set()  # type: ignore[attr-defined]
        stop.wait(30)  # type: ignore[attr-defined]


def test_other_processes_gradings_are_counted_while_they_run(tmp_path: Path) -> None:
    mine = HostGradings("worker-1", tmp_path)
    events = [(FORK.Event(), FORK.Event()) for _ in range(2)]
    children = [FORK.Process(target=hold, args=(tmp_path, "worker-1", *pair)) for pair in events]
    for child in children:
        child.start()
    try:
        for started, _ in events:
            assert started.wait(10)
        assert mine.count() == 2
        with mine.running():
            assert mine.count() == 3
        assert mine.count() == 2
        events[0][1].set()
        children[0].join(10)
        assert mine.count() == 1
        # Another worker's gradings are its own.
        assert HostGradings("worker-2", tmp_path).count() == 0
    finally:
        for _, stop in events:
            stop.set()
        for child in children:
            child.join(10)
    assert mine.count() == 0 and list(tmp_path.iterdir()) == []


def test_a_process_killed_mid_grading_stops_counting_and_its_file_goes_when_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, stop = FORK.Event(), FORK.Event()
    child = FORK.Process(target=hold, args=(tmp_path, "w", started, stop))
    child.start()
    assert started.wait(10)
    counter = HostGradings("w", tmp_path)
    assert counter.count() == 1
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert counter.count() == 0  # its lock died with it
    [stale] = list(tmp_path.iterdir())  # no one unlinked it
    monkeypatch.setattr(host_gradings, "STALE_SECONDS", 0.0)
    time.sleep(0.01)
    assert counter.count() == 0 and not stale.exists()


@pytest.mark.parametrize("scope", ["", "../up", "a/b", "w.x", "\x00", "név", "x" * 65])
def test_a_scope_that_is_not_a_plain_name_is_refused(tmp_path: Path, scope: str) -> None:
    with pytest.raises(ValueError, match="scope"):
        HostGradings(scope, tmp_path)


def test_a_folder_that_cannot_be_made_never_stops_a_grading(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    gradings = HostGradings("w", blocker / "gradings")
    ran = False
    with gradings.running():
        ran = True
    assert ran and gradings.count() == 0


def test_a_folder_others_may_write_in_is_not_used(tmp_path: Path) -> None:
    """Made first by someone else (a shared /dev/shm): no count from it, and
    no file of ours in it; gradings run on (uncounted: refills as without)."""
    folder = tmp_path / "gradings"
    folder.mkdir()
    folder.chmod(0o777)
    gradings = HostGradings("w", folder)
    with gradings.running():
        assert gradings.count() == 0
    assert list(folder.iterdir()) == []
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    with HostGradings("w", link).running():
        assert list((tmp_path / "elsewhere").iterdir()) == []


class _Engine:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def info(self) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(("answer", "cores"), [
    ({"NCPU": 8}, 8),
    ({"NCPU": "8"}, None),  # not a count: the pool falls back to this process's cores
    ({"NCPU": 0}, None),
    ({}, None),
    (docker.errors.APIError("engine busy"), None),
    (requests.exceptions.ConnectionError("gone"), None),
])  # fmt: skip
def test_the_pool_counts_the_engines_cores(answer: object, cores: int | None) -> None:
    """Sandboxes run on the engine's CPUs (a worker in a container sees its own)."""
    assert engine_cores(_Engine(answer)) == cores  # type: ignore[arg-type]
    pool = WarmPool(_Engine(answer), gradings=HostGradings("w"))  # type: ignore[arg-type]
    assert pool.gate is not None
    assert pool.gate.cores == (cores or len(os.sched_getaffinity(0)))


def test_a_filesystem_without_locks_leaves_the_grading_uncounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "no locks available")

    monkeypatch.setattr(host_gradings.fcntl, "flock", no_locks)
    gradings = HostGradings("w", tmp_path / "gradings")
    with gradings.running():
        assert gradings.count() == 0
    assert list((tmp_path / "gradings").iterdir()) == []


class _Counted(HostGradings):
    """The count a test sets (the decision, without processes)."""

    def __init__(self) -> None:
        super().__init__("w")
        self.now_running = 0

    def count(self) -> int:
        return self.now_running


def test_a_start_waits_until_a_core_has_been_free_for_a_moment() -> None:
    gradings = _Counted()
    gate = RefillGate(gradings, cores=2)
    gradings.now_running = 1
    assert not gate.shut(100.0)  # a core to spare: start
    gradings.now_running = 2
    assert gate.shut(100.5)  # every core grades
    gradings.now_running = 1  # a process between two gradings
    assert gate.shut(100.5 + FREE_CORE_SECONDS / 2)
    assert not gate.shut(100.5 + FREE_CORE_SECONDS + 0.01)
    assert gate.put_off == 2
    assert WarmPool(_Engine({})).gate is None  # type: ignore[arg-type]  # no count, no gate
    with pytest.raises(ValueError, match="cores"):
        RefillGate(gradings, cores=0)
