"""`grader images prune` removes the images of earlier builds, on a real engine.

The engine is shared with tests running beside these, so the removal is
only ever tried on tags made here (prune_images' `only`); the command
itself runs with --dry-run.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sandbox import image_prune, images
from sandbox.errors import ImageMissing
from tests.helpers.sandbox_standins import BASE_IMAGE

ROOT = Path(__file__).resolve().parents[2]


def fresh_image(client: docker.DockerClient, base: str, tag: str) -> str:
    """An image of its own (a label on `base`: no layer to build), tagged `tag`."""
    dockerfile = f"FROM {base}\nLABEL grader.prune-test={uuid.uuid4().hex}\n".encode()
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile), tag=tag, rm=True,
                                   network_mode="none")  # fmt: skip
    return str(image.id)


@pytest.fixture
def made(client: docker.DockerClient, runtime_image: str) -> Iterator[dict[str, str]]:
    token = uuid.uuid4().hex[:10]
    recipe = images.exercise_recipe(runtime_image)
    names = {
        "current": f"grader-ex-prune{token}:c0ffee-{recipe}",
        "older content": f"grader-ex-prune{token}:0ld-{recipe}",
        "older build": f"grader-ex-prune{token}:c0ffee-0000beef",
        "in use": f"grader-ex-prune{token}:used-0000beef",
        "runtime": f"grader-runtime:prune{token}",
        "old base": f"grader-base:prune{token}",  # an offline base of an earlier recipe
        "not ours": f"prune{token}-other:c0ffee-0000beef",
    }
    for name in names.values():
        fresh_image(client, runtime_image, name)
    user = client.containers.create(names["in use"], ["true"], network_disabled=True)
    yield names
    user.remove(force=True)
    for name in names.values():
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(name, force=True)


def tags_left(client: docker.DockerClient, names: dict[str, str]) -> set[str]:
    here = {t for image in client.images.list() for t in image.tags}
    return {what for what, name in names.items() if name in here}


@pytest.mark.docker
def test_images_of_earlier_builds_go_and_the_current_build_and_images_in_use_stay(
    client: docker.DockerClient, runtime_image: str, made: dict[str, str]
) -> None:
    recipe = images.exercise_recipe(runtime_image)
    base, _ = images.current_build(client, base_image=BASE_IMAGE, offline_base=True)
    ours = {*made.values(), base}  # the current base is offered too: it must stay
    dry = image_prune.prune_images(client, runtime=runtime_image, recipe=recipe, base=base,
                                   dry_run=True, only=ours.__contains__)  # fmt: skip
    assert set(dry.removed) == {made["older build"], made["in use"], made["runtime"],
                                made["old base"]}  # fmt: skip
    assert tags_left(client, made) == set(made)  # a dry run removes nothing

    seen: list[str] = []
    pruned = image_prune.prune_images(client, runtime=runtime_image, recipe=recipe, base=base,
                                      only=ours.__contains__, on_removed=seen.append)  # fmt: skip
    assert set(pruned.removed) == set(seen) == {made["older build"], made["runtime"],
                                                made["old base"]}  # fmt: skip
    assert pruned.in_use == [made["in use"]]  # never forced
    assert tags_left(client, made) == {"current", "older content", "in use", "not ours"}
    assert {runtime_image, base} <= {t for image in client.images.list() for t in image.tags}
    assert pruned.layers_before >= pruned.layers_after > 0


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_BASE_IMAGE": BASE_IMAGE, "GRADER_OFFLINE_BASE": "true",
           "COLUMNS": "250"}  # fmt: skip
    command = [sys.executable, "-m", "grader.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


@pytest.mark.docker
def test_the_command_lists_what_it_would_remove(
    client: docker.DockerClient, made: dict[str, str], runtime_image: str
) -> None:
    done = grader("images", "prune", "--dry-run")
    assert done.returncode == 0, done.stderr
    base, _ = images.current_build(client, base_image=BASE_IMAGE, offline_base=True)
    assert f"keeping the current build: {base}, {runtime_image}" in done.stdout
    assert f"would remove {made['older build']}" in done.stdout
    assert f"would remove {made['runtime']}" in done.stdout
    assert f"would remove {made['old base']}" in done.stdout
    for kept in ("current", "older content", "not ours"):
        assert made[kept] not in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.docker
def test_images_build_points_at_prune_when_earlier_builds_are_here(
    client: docker.DockerClient, made: dict[str, str], runtime_image: str
) -> None:
    done = grader("images", "build", "--no-exercises")  # the runtime is here already
    assert done.returncode == 0, done.stderr
    assert f"runtime image: {runtime_image}" in done.stdout
    assert "images of earlier builds are on this engine" in done.stdout
    assert "grader images prune --dry-run" in done.stdout
    assert "older build" in tags_left(client, made)  # only pointed at: nothing removed


@pytest.mark.docker
def test_without_its_base_image_nothing_is_pruned_and_the_error_says_what_to_run(
    client: docker.DockerClient,
) -> None:
    with pytest.raises(ImageMissing, match="grader images build"):
        images.current_build(client, base_image=f"no-such-base-{uuid.uuid4().hex}:1",
                             offline_base=False)  # fmt: skip
