"""No sandbox container outlives its grading, and the sweep removes orphans."""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Callable, Iterator

import docker
import pytest

from grader_harness.report import Status
from sandbox import cleanup, container, runner
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX
from sandbox.errors import HarnessFailed
from sandbox.limits import SandboxLimits
from tests.helpers.sandbox_standins import make_request, own_sandboxes, report_command


def run(
    client: docker.DockerClient, image: str, command: list[str], wall_seconds: float = 10.0
) -> Status:
    limits = SandboxLimits(wall_seconds=wall_seconds)
    report = runner.run_in_sandbox(
        client=client, image=image, request=make_request(), limits=limits, command=command
    )
    return report.status


@pytest.mark.docker
def test_no_container_is_left_behind(
    client: docker.DockerClient, runtime_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = own_sandboxes(client)
    assert run(client, runtime_image, report_command('emit("ok")')) is Status.PASSED
    assert own_sandboxes(client) == before

    with pytest.raises(HarnessFailed):
        run(client, runtime_image, ["echo", "garbage"])
    assert own_sandboxes(client) == before

    monkeypatch.setattr(runner, "STARTUP_GRACE_SECONDS", 1.0)
    assert run(client, runtime_image, ["sleep", "infinity"], wall_seconds=0.5) is Status.TIMEOUT
    assert own_sandboxes(client) == before

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the host failed mid-run")

    monkeypatch.setattr(runner, "_collect", explode)
    with pytest.raises(RuntimeError, match="mid-run"):
        run(client, runtime_image, report_command('emit("ok")'))
    assert own_sandboxes(client) == before


@pytest.mark.docker
def test_a_worker_removes_a_cold_sandbox_after_the_report(
    client: docker.DockerClient, runtime_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """remove_in_background (a worker without warm sandboxes): the report goes
    back first, the background remover takes the container, and
    flush_removals() leaves none behind."""
    before = own_sandboxes(client)
    removed_inline: list[str] = []
    monkeypatch.setattr(runner, "remove_container",
                        lambda c: removed_inline.append(str(c.id)))  # fmt: skip
    report = runner.run_in_sandbox(
        client=client, image=runtime_image, request=make_request(),
        limits=SandboxLimits(wall_seconds=10.0), command=report_command('emit("ok")'),
        remove_in_background=True,
    )  # fmt: skip
    assert report.status is Status.PASSED
    assert removed_inline == []  # not on the report's path
    container.flush_removals()
    assert own_sandboxes(client) == before


@pytest.fixture
def labelled(client: docker.DockerClient, runtime_image: str) -> Iterator[Callable[[str], str]]:
    """Creates (never starts) sandbox-labelled containers with a given owner; removes leftovers."""
    made: list[str] = []

    def create(owner: str) -> str:
        container = client.containers.create(
            runtime_image, ["true"], network_mode="none",
            labels={LABEL_SANDBOX: "1", LABEL_OWNER: owner},
        )  # fmt: skip
        made.append(str(container.id))
        return str(container.id)

    yield create
    for cid in made:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(cid, force=True)


def exists(client: docker.DockerClient, cid: str) -> bool:
    try:
        client.api.inspect_container(cid)
    except docker.errors.NotFound:
        return False
    return True


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.docker
def test_sweep_removes_orphans_and_keeps_live_owners(
    client: docker.DockerClient, labelled: Callable[[str], str]
) -> None:
    host = socket.gethostname()
    orphan = labelled(f"{host}:{dead_pid()}")
    alive = labelled(container.owner_label())
    elsewhere = labelled(f"another-host-{host}:{dead_pid()}")

    assert cleanup.remove_orphans(client) >= 1
    assert not exists(client, orphan)
    assert exists(client, alive)
    assert exists(client, elsewhere)  # another host's pid means nothing here


def test_past_max_age_any_owner_is_an_orphan() -> None:
    # Checked on the rule itself: a sweep with a small max_age on this shared
    # engine would also remove other people's running sandboxes.
    mine = {LABEL_OWNER: container.owner_label()}
    other = {LABEL_OWNER: "another-host:1"}
    assert not cleanup._is_orphan(mine, age=100.0, max_age_seconds=None)
    assert not cleanup._is_orphan(mine, age=100.0, max_age_seconds=600.0)
    assert cleanup._is_orphan(mine, age=700.0, max_age_seconds=600.0)
    assert cleanup._is_orphan(other, age=700.0, max_age_seconds=600.0)
    assert not cleanup._is_orphan(other, age=100.0, max_age_seconds=600.0)
