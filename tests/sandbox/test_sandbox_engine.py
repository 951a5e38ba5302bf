"""Connecting to the engine: failures say what to do, and stay SandboxErrors."""

from __future__ import annotations

import docker
import pytest

from sandbox import engine, runner
from sandbox.errors import EngineUnavailable, RuntimeUnavailable
from sandbox.limits import SandboxLimits
from tests.helpers.sandbox_standins import make_request

ABSENT = "unix:///nonexistent/docker.sock"


def test_no_engine_says_how_to_start_one() -> None:
    with pytest.raises(EngineUnavailable) as caught:
        engine.connect(ABSENT)
    message = str(caught.value)
    assert ABSENT in message and "dockerd" in message and "GRADER_DOCKER_URL" in message


def test_an_engine_gone_mid_use_is_engine_unavailable() -> None:
    # A client that was never pinged, so the failure happens inside the runner
    # and must come out as ours, not as a requests or docker exception.
    dead = docker.DockerClient(base_url=ABSENT, version="1.41")
    with pytest.raises(EngineUnavailable, match="Docker engine"):
        runner.run_in_sandbox(
            client=dead, image="grader-runtime:x", request=make_request(), limits=SandboxLimits()
        )


@pytest.mark.docker
def test_check_runtime(client: docker.DockerClient) -> None:
    engine.check_runtime(client, "runc")
    with pytest.raises(RuntimeUnavailable, match=r"no runtime 'no-such-runtime' \(it has: .*runc"):
        engine.check_runtime(client, "no-such-runtime")
