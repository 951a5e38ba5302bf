"""Warm sandboxes (sandbox/pool.py) in real Docker with the real harness.

The exercise's hidden test marks its container as used (a file on the
container's own /tmp) and fails if the mark is already there, so a container
handed out twice would fail its second grading.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import docker
import pytest

from grader.exercises.pack import content_hash
from grader_harness.protocol import GradingRequest, HarnessConfig
from grader_harness.report import Report, Status
from sandbox import container, images, runner
from sandbox import pool as pool_module
from sandbox.errors import SandboxError
from sandbox.host_gradings import HostGradings
from sandbox.images import ExerciseImageSpec
from sandbox.limits import SandboxLimits
from sandbox.pool import WarmPool
from sandbox.warm_container import LOADING_LIMIT_SECONDS
from sandbox.warm_idle import IdleSandboxes
from tests.helpers.sandbox_standins import BASE_IMAGE, own_sandboxes

pytestmark = pytest.mark.docker

HIDDEN_TEST = """
import pathlib

def test_fresh_container(student):
    mark = pathlib.Path("/tmp/used-by-a-grading")
    assert not mark.exists(), "this container graded before"
    mark.touch()
    assert student.f() == 1
"""
LIMITS = SandboxLimits(wall_seconds=3.0, memory_mb=256)


@pytest.fixture(scope="module")
def image(client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("warm-pack")
    (root / "tests").mkdir()
    (root / "tests" / "test_hidden.py").write_text(HIDDEN_TEST + f"# {uuid.uuid4().hex}\n")
    spec = ExerciseImageSpec(slug="warm-selftest", content_hash=content_hash(root),
                             tests=root / "tests", public_tests=None, data=None)  # fmt: skip
    tag = images.ensure_exercise_image(client, spec, base_image=BASE_IMAGE, offline_base=True)
    yield tag
    client.images.remove(tag, force=True)


@pytest.fixture
def pool(client: docker.DockerClient) -> Iterator[WarmPool]:
    made = WarmPool(client, max_keys=2, idle_seconds=60)
    yield made
    made.close()
    assert own_sandboxes(client) == [], "the pool left a container behind"


def request_for(limits: SandboxLimits = LIMITS) -> GradingRequest:
    config = HarnessConfig(runner="python", options={"module": "solution"},
                           wall_seconds=limits.wall_seconds, hidden_messages="full")  # fmt: skip
    return GradingRequest(config=config, files={"solution.py": "def f():\n    return 1\n"})


def grade(client: docker.DockerClient, image: str, pool: WarmPool | None,
          limits: SandboxLimits = LIMITS) -> Report:  # fmt: skip
    return runner.run_in_sandbox(client=client, image=image, request=request_for(limits),
                                 limits=limits, pool=pool)  # fmt: skip


def hold(pool: WarmPool, key: pool_module.WarmKey, *entries: pool_module.WarmContainer) -> None:
    """Only these (stand-in) containers wait in the pool, for `key`."""
    pool._idle = IdleSandboxes()
    for entry in entries:
        pool._idle.add(key, entry)


def wait_for(check: Callable[[], bool], seconds: float = 60) -> None:
    give_up = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < give_up, "the pool did not get there in time"
        time.sleep(0.05)


def running(client: docker.DockerClient) -> set[str]:
    """Our running sandboxes, in one listing (one inspect each would race the removals)."""
    found = client.api.containers(filters={"label": f"{container.LABEL_SANDBOX}=1",
                                           "status": "running"})  # fmt: skip
    me = container.owner_label()
    return {c["Id"] for c in found if c["Labels"].get(container.LABEL_OWNER) == me}


def test_the_next_grading_runs_in_a_container_started_before_it(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    first = grade(client, image, pool)
    assert (first.status, pool.hits, pool.misses) == (Status.PASSED, 0, 1)
    wait_for(lambda: pool.idle_count() == 1 and len(own_sandboxes(client)) == 1)
    [warm] = own_sandboxes(client)
    labels = client.containers.get(warm).labels
    # Labelled like any sandbox, so the orphan sweep knows whose it is.
    assert labels[container.LABEL_SANDBOX] == "1"
    assert labels[container.LABEL_OWNER] == container.owner_label()
    # It warms up at a low CPU weight, so that gradings under way come first.
    attrs = client.containers.get(warm).attrs
    assert attrs["HostConfig"]["CpuShares"] == container.WARM_CPU_SHARES
    # As a cold one, with Docker's networking disabled (the image's label).
    assert attrs["Config"].get("NetworkDisabled") is True
    assert attrs["HostConfig"]["NetworkMode"] == "none"
    # Waiting longer than the whole wall-time limit costs the student nothing:
    # the clock starts when the request arrives.
    time.sleep(LIMITS.wall_seconds + 1)
    second = grade(client, image, pool)
    assert (second.status, second.score) == (Status.PASSED, 1.0), second.message
    assert second.duration < LIMITS.wall_seconds
    assert pool.hits == 1
    # Refilled with a new one; the used one is removed (in the background).
    wait_for(lambda: pool.idle_count() == 1 and warm not in own_sandboxes(client))
    third = grade(client, image, pool)
    assert (third.status, pool.hits) == (Status.PASSED, 2), third.message


def test_a_fed_warm_container_grades_at_the_default_cpu_weight(
    client: docker.DockerClient, image: str, pool: WarmPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It loaded behind the gradings (WARM_CPU_SHARES); fed, it is a grading itself."""
    fed: list[str] = []

    def restore(made: docker.models.containers.Container) -> None:
        fed.append(made.id)
        container.restore_priority(made)

    monkeypatch.setattr(runner, "restore_priority", restore)
    grade(client, image, pool)
    wait_for(lambda: pool.loaded_count() == 1)
    with pool._cond:
        [[waiting]] = pool._idle._by_key.values()
    assert grade(client, image, pool).status is Status.PASSED
    assert fed == [waiting.container.id]  # the runner restores the one it fed

    def shares(made: docker.models.containers.Container) -> int:
        return int(client.api.inspect_container(made.id)["HostConfig"]["CpuShares"])

    wait_for(lambda: pool.loaded_count() == 1)
    warm = pool.take(image=image, runner="python", limits=LIMITS)
    assert warm is not None
    try:
        assert shares(warm) == container.WARM_CPU_SHARES
        container.restore_priority(warm)  # a real update, the harness still waiting
        wait_for(lambda: shares(warm) == container.DEFAULT_CPU_SHARES, seconds=10)
    finally:
        container.remove_container(warm)


def test_a_warm_container_that_died_is_replaced_by_a_cold_grading(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    grade(client, image, pool)
    wait_for(lambda: pool.idle_count() == 1 and len(own_sandboxes(client)) == 1)
    [warm] = own_sandboxes(client)
    client.containers.get(warm).kill()
    report = grade(client, image, pool)
    assert (report.status, pool.hits) == (Status.PASSED, 1), report.message
    wait_for(lambda: warm not in own_sandboxes(client))


def test_limits_are_part_of_the_key_and_only_recent_keys_stay_warm(
    client: docker.DockerClient, image: str
) -> None:
    pool = WarmPool(client, max_keys=1, idle_seconds=60)
    try:
        grade(client, image, pool)
        wait_for(lambda: pool.idle_count() == 1 and len(own_sandboxes(client)) == 1)
        [warm] = own_sandboxes(client)
        other = SandboxLimits(wall_seconds=3.0, memory_mb=128)
        assert grade(client, image, pool, other).status is Status.PASSED
        assert pool.hits == 0  # the warm one had other limits
        # max_keys=1: the first key's container goes, one for the new key comes.
        wait_for(lambda: own_sandboxes(client) != [warm] and len(own_sandboxes(client)) == 1
                 and pool.idle_count() == 1)
        [now] = own_sandboxes(client)
        assert client.containers.get(now).attrs["HostConfig"]["Memory"] == 128 << 20
    finally:
        pool.close()
    assert own_sandboxes(client) == []


def test_idle_containers_are_replaced_and_close_removes_them(
    client: docker.DockerClient, image: str
) -> None:
    pool = WarmPool(client, idle_seconds=1.0)
    try:
        grade(client, image, pool)
        wait_for(lambda: len(running(client)) == 1)
        [first] = running(client)
        wait_for(lambda: running(client) - {first} != set())
        wait_for(lambda: first not in own_sandboxes(client))
    finally:
        pool.close()
    assert own_sandboxes(client) == []
    assert pool.take(image=image, runner="python", limits=LIMITS) is None  # closed: all cold


def test_a_pool_for_a_missing_image_leaves_gradings_cold(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    missing = f"grader-ex-nowhere:{uuid.uuid4().hex[:12]}"
    assert pool.take(image=missing, runner="python", limits=LIMITS) is None
    time.sleep(0.5)  # the fill thread tried, logged, and backs off
    assert pool.idle_count() == 0
    assert grade(client, image, pool).status is Status.PASSED  # other keys still work


def test_back_to_back_gradings_all_find_a_ready_container(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    grade(client, image, pool)
    wait_for(lambda: pool.idle_count() == 1)
    pool.starts.typical = 30.0  # a loaded machine must not turn a handover into a miss
    for _ in range(3):  # no gap: each takes the one started during the grading before it
        report = grade(client, image, pool)
        assert (report.status, report.score) == (Status.PASSED, 1.0), report.message
    assert (pool.hits, pool.misses) == (3, 1)


def test_a_take_while_its_container_starts_is_handed_that_container(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    grade(client, image, pool)
    wait_for(lambda: pool.idle_count() == 1)
    first = pool.take(image=image, runner="python", limits=LIMITS)
    assert first is not None
    try:
        wait_for(lambda: pool.starting_count() == 1, seconds=10)  # its replacement
        pool.starts.typical = 30.0
        second = pool.take(image=image, runner="python", limits=LIMITS)
        assert second is not None and second.id != first.id
        container.remove_container(second)
        assert (pool.hits, pool.handovers) == (2, 1)
    finally:
        container.remove_container(first)


def test_a_start_that_fails_or_drags_during_a_wait_leaves_the_grading_cold(
    client: docker.DockerClient, image: str, pool: WarmPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    grade(client, image, pool)
    wait_for(lambda: pool.idle_count() == 1)
    release = threading.Event()

    def failing_start(*args: object) -> docker.models.containers.Container:
        release.wait(30)
        raise SandboxError("the engine refused (a test's stand-in for a failing start)")

    monkeypatch.setattr(pool_module, "start_warm", failing_start)
    first = pool.take(image=image, runner="python", limits=LIMITS)  # a hit; its refill fails
    assert first is not None
    container.remove_container(first)
    wait_for(lambda: pool.starting_count() == 1, seconds=10)
    # The start drags past the typical time: the take does not wait it out.
    pool.starts.typical = 0.05
    assert pool.take(image=image, runner="python", limits=LIMITS) is None
    assert pool.starting_count() == 1
    # A take waiting when the start fails goes cold at once, and grades there.
    pool.starts.typical = 30.0
    threading.Timer(0.3, release.set).start()
    report = grade(client, image, pool)
    assert (report.status, report.score) == (Status.PASSED, 1.0), report.message
    assert (pool.hits, pool.handovers, pool.misses) == (1, 0, 3)
    assert pool.starting_count() == 0


def test_a_container_counts_as_loaded_once_its_harness_waits(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    grade(client, image, pool)
    wait_for(lambda: pool.loaded_count() == 1)  # the harness printed "warm, loaded"
    with pool._cond:
        [[warm]] = pool._idle._by_key.values()
    logs = warm.container.logs(stdout=False, stderr=True)
    assert b"warm, loaded" in logs
    report = grade(client, image, pool)
    assert (report.status, pool.hits, pool.unloaded) == (Status.PASSED, 1, 0), report.message
    assert pool._demand.extra == {}  # a loaded hit: no back-to-back pressure


def take_back_to_back(client: docker.DockerClient, image: str, pool: WarmPool) -> None:
    """A loaded container taken, then at once the one being started for it
    (not loaded yet: a handover); both removed unused."""
    grade(client, image, pool)
    wait_for(lambda: pool.loaded_count() == 1)
    pool.starts.typical = 30.0
    taken = [pool.take(image=image, runner="python", limits=LIMITS)]
    wait_for(lambda: pool.starting_count() == 1, seconds=10)
    taken.append(pool.take(image=image, runner="python", limits=LIMITS))
    for made in taken:
        assert made is not None
        container.remove_container(made)
    assert (pool.hits, pool.handovers, pool.unloaded) == (2, 1, 1)


def test_a_key_taken_faster_than_it_loads_gets_more_ready_containers(
    client: docker.DockerClient, image: str
) -> None:
    pool = WarmPool(client, max_keys=2, idle_seconds=60, max_extra=1)
    try:
        take_back_to_back(client, image, pool)
        # One more than per_key for this key, all loaded in time, and no more than max_extra.
        wait_for(lambda: pool.idle_count() == 2 and pool.loaded_count() == 2)
        time.sleep(1.0)
        assert pool.idle_count() == 2 and len(own_sandboxes(client)) == 2
    finally:
        pool.close()
    assert own_sandboxes(client) == []


def test_without_max_extra_back_to_back_keeps_per_key(
    client: docker.DockerClient, image: str, pool: WarmPool
) -> None:
    take_back_to_back(client, image, pool)
    wait_for(lambda: pool.loaded_count() == 1)
    time.sleep(1.0)
    assert pool.idle_count() == 1


def test_a_take_prefers_a_loaded_container_and_idle_time_takes_extra_back(
    client: docker.DockerClient,
) -> None:
    """The pool's bookkeeping alone (stand-in containers; its thread never starts)."""
    pool = WarmPool(client, max_extra=2, idle_seconds=60)
    key = pool_module.WarmKey(image="x", runner="python", limits=LIMITS)
    loading, loaded, stale = object(), object(), object()
    now = time.monotonic()
    hold(pool, key, pool_module.WarmContainer(loading, now + 60),  # type: ignore[arg-type]
         pool_module.WarmContainer(loaded, now + 60, loaded=True))  # type: ignore[arg-type]
    with pool._cond:
        first = pool._pop_fresh(key)
        second = pool._pop_fresh(key)
    assert first is not None and first.container is loaded
    assert second is not None and second.container is loading
    assert (pool.unloaded, pool._demand.extra[key]) == (1, 1)  # only the one still loading counts
    pool._recent[key] = None
    hold(pool, key, pool_module.WarmContainer(stale, now - 1))  # type: ignore[arg-type]
    with pool._cond:
        doomed, wanted, _ = pool._next_job()
    assert doomed == [stale] and pool._demand.extra[key] == 0 and wanted == key


def test_the_next_start_waits_for_a_loading_container_to_load(
    client: docker.DockerClient,
) -> None:
    """The bookkeeping alone: a key short of its target gets no new start while
    a container is still loading, one once it has loaded, and one whose harness
    never said it loaded stops holding it back after the loading limit."""
    pool = WarmPool(client, per_key=2, idle_seconds=60, max_loading=1)
    key = pool_module.WarmKey(image="x", runner="python", limits=LIMITS)
    pool._recent[key] = None
    now = time.monotonic()
    young = pool_module.WarmContainer(object(), now + 60)  # type: ignore[arg-type]
    hold(pool, key, young)
    with pool._cond:
        assert pool._next_job()[1] is None
        sleep = pool._next_job()[2]
    assert sleep <= LOADING_LIMIT_SECONDS  # it looks again when the limit ends
    young.loaded = True
    with pool._cond:
        assert pool._next_job()[1] == key
    pool.starts.under_way.clear()
    silent = pool_module.WarmContainer(object(), now + 60,  # type: ignore[arg-type]
                                       started=now - LOADING_LIMIT_SECONDS - 1)
    hold(pool, key, silent)
    with pool._cond:
        assert pool._next_job()[1] == key
    pool.starts.under_way.clear()
    pool.max_loading = 2  # a bigger machine: two load side by side
    hold(pool, key, pool_module.WarmContainer(object(), now + 60))  # type: ignore[arg-type]
    with pool._cond:
        assert pool._next_job()[1] == key


def test_a_loaded_mark_after_the_take_changes_nothing_in_the_pool(
    client: docker.DockerClient,
) -> None:
    """The mark the pool watches for is a line on the container's stderr. One
    printed after the take (by the harness finishing its load, or by anything
    else in a grading container) reaches an entry the pool no longer holds:
    its counts, its idle containers and its next start stay as they were."""
    pool = WarmPool(client, per_key=1, idle_seconds=60, max_loading=1)
    key = pool_module.WarmKey(image="x", runner="python", limits=LIMITS)
    pool._recent[key] = None
    taken = pool_module.WarmContainer(object(), time.monotonic() + 60)  # type: ignore[arg-type]
    hold(pool, key, taken)
    with pool._cond:
        assert pool._pop_fresh(key) is taken
    counts = (pool.unloaded, dict(pool._demand.extra))
    pool._loaded(taken)  # "grader_harness: warm, loaded" seen after the take
    assert (pool.unloaded, dict(pool._demand.extra)) == counts and pool.idle_count() == 0
    with pool._cond:
        assert pool._next_job()[1] == key  # the key is still one short: a start


def test_a_caller_that_knows_the_takes_left_gets_no_container_for_nobody(
    client: docker.DockerClient, image: str
) -> None:
    pool = WarmPool(client, per_key=2, idle_seconds=60)
    try:
        grade(client, image, pool)
        wait_for(lambda: pool.idle_count() == 2)
        pool.expect(image=image, takes=1)  # one grading left: one container is enough
        assert pool.idle_count() == 1
        assert grade(client, image, pool).status is Status.PASSED
        assert pool.hits == 1
        time.sleep(1.0)  # the fill thread had time to start a refill, if it wanted one
        assert (pool.idle_count(), pool.starting_count()) == (0, 0)
        wait_for(lambda: own_sandboxes(client) == [])
    finally:
        pool.close()


def test_no_container_is_started_ahead_while_every_core_grades(
    client: docker.DockerClient, image: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A refill beside gradings on every core only takes CPU from them: it waits."""
    gradings = HostGradings("pool-test", tmp_path_factory.mktemp("gradings"))
    gated = WarmPool(client, max_keys=1, idle_seconds=60, gradings=gradings, cores=2)
    try:
        first = grade(client, image, gated)  # cold: the pool learns the key
        assert (first.status, gated.misses) == (Status.PASSED, 1), first.message
        wait_for(lambda: gated.loaded_count() == 1)  # one core was free: refilled
        with gradings.running(), gradings.running():  # the worker's other processes
            second = grade(client, image, gated)  # warm, and counted: 3 running
            assert (second.status, gated.hits) == (Status.PASSED, 1), second.message
            time.sleep(2.0)  # more than a start and a load take here
            assert gated.idle_count() == gated.starting_count() == 0
            # None started: the used ones have exited (their removal may lag on a busy engine).
            assert gated.gate is not None and gated.gate.put_off > 0
            assert running(client) == set()
            third = grade(client, image, gated)  # cold, as without a pool
            assert (third.status, gated.misses) == (Status.PASSED, 2), third.message
        # One core free again: the key gets its container.
        wait_for(lambda: gated.loaded_count() == 1)
        assert gradings.count() == 0
    finally:
        gated.close()
    assert own_sandboxes(client) == []
