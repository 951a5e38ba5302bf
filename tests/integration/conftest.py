"""Fixtures for end-to-end gradings through the real sandbox (real Docker)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from grader.exercises.pack import ExercisePack, load_pack
from grader.sandbox_grading import ensure_image, grade_files
from grader.settings import Settings
from grader_harness.report import Report
from sandbox.container import LABEL_OWNER, owner_label

PACKS = Path(__file__).resolve().parent.parent / "fixtures" / "packs"
SANDBOX_LABEL = "grader.sandbox=1"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(exercises_dir=PACKS)


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="session")
def probe_pack(settings: Settings) -> ExercisePack:
    pack = load_pack(PACKS / "security" / "sandbox-probe")
    ensure_image(pack, settings)
    return pack


@pytest.fixture
def grade_probe(probe_pack: ExercisePack, settings: Settings) -> Callable[..., Report]:
    def grade(source: str, **overrides: object) -> Report:
        used = settings.model_copy(update=overrides) if overrides else settings
        return grade_files(pack=probe_pack, files={"probe.py": source}, settings=used)

    return grade


def my_sandboxes(client: docker.DockerClient) -> set[str]:
    """This process's sandbox containers (their owner label), running or not:
    another grader sharing the engine may have its own meanwhile."""
    mine = [SANDBOX_LABEL, f"{LABEL_OWNER}={owner_label()}"]
    return {str(c.id) for c in client.containers.list(all=True, filters={"label": mine})}


@pytest.fixture(autouse=True)
def no_container_left_behind(docker_client: docker.DockerClient) -> Iterator[None]:
    """Every grading removes its container, whatever happened in it.
    (A module-scoped fixture's gradings run before this: it checks its own.)"""
    before = my_sandboxes(docker_client)
    yield
    assert my_sandboxes(docker_client) - before == set(), "a sandbox container was left behind"
