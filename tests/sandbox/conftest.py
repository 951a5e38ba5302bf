"""Fixtures of the sandbox tests: a real Docker engine and real images.

The runtime image is built once per session (here: on the offline debootstrap
base, about a minute the first time, then cached by tag).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import pytest

from sandbox import engine, images
from sandbox.errors import EngineUnavailable, RuntimeUnavailable
from tests.helpers.sandbox_standins import BASE_IMAGE, write_pack


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    try:
        return engine.connect()
    except EngineUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(autouse=True)
def _skip_without_gvisor(request: pytest.FixtureRequest) -> None:
    """gvisor-marked tests need runsc registered with the engine; skip (saying why) if not."""
    if request.node.get_closest_marker("gvisor") is None:
        return
    try:
        engine.check_runtime(request.getfixturevalue("client"), "runsc")
    except RuntimeUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def runtime_image(client: docker.DockerClient) -> str:
    return images.ensure_runtime_image(client, base_image=BASE_IMAGE, offline_base=True)


@pytest.fixture(scope="session")
def exercise_image(
    client: docker.DockerClient, runtime_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An exercise image with a hidden test and data, removed after the session."""
    spec = write_pack(tmp_path_factory.mktemp("pack"), uuid.uuid4().hex)
    tag = images.ensure_exercise_image(client, spec, base_image=BASE_IMAGE, offline_base=True)
    yield tag
    client.images.remove(tag, force=True)
