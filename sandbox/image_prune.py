"""Removing the sandbox images no grading on this engine will ask for again.

A change to the harness, the runtime's packages, the base image or the
exercise Dockerfiles gives a new runtime image, and with it a new tag for
every exercise image (images.exercise_tag: its last part is the recipe, a
hash of the runtime's tag and the Dockerfiles). The images of the old recipe
stay on the engine, a full set per upgrade; a change to the offline base's
recipe (offline_base.py) leaves the old base too. Pruning removes:

- every grader-runtime:<hash> but the current one;
- every grader-ex-<slug>:<content>-<recipe> of another recipe;
- every grader-base:<tag> but the base the current build is made on.

It keeps every exercise image of the current recipe, whatever its content:
a published version of an exercise, or a submission still queued for an
older one, may need it. It never forces: Docker refuses to remove an image a
container uses (a warm sandbox, a grading running now), and that image is
reported as kept. A removed image that is asked for after all is only built
again (slower), never a failed grading. The current base is left alone, and
so is any base image that is not ours (GRADER_BASE_IMAGE's, python:*): only
the grader-base repository is ours. An old base that other images are built
on (the Compose stack's, say) loses its tag; its layers go with the last
image on top of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import docker
import docker.errors

from sandbox.engine import docker_errors

RUNTIME_REPOSITORY = "grader-runtime"
BASE_REPOSITORY = "grader-base"
EXERCISE_PREFIX = "grader-ex-"


@dataclass
class Pruned:
    removed: list[str] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)  # Docker refused: a container uses it
    layers_before: int = 0  # bytes of image layers on the engine (docker system df)
    layers_after: int = 0


def stale_tags(tags: Iterable[str], *, runtime: str, recipe: str, base: str) -> list[str]:
    """Of these image tags (repository:tag), the sandbox images of another
    build than `runtime` (grader-runtime:<hash>), `recipe` and `base` (the
    image the runtime is built on); sorted."""
    def stale(name: str) -> bool:
        repository, _, tag = name.rpartition(":")
        if repository in (RUNTIME_REPOSITORY, BASE_REPOSITORY):
            return name not in (runtime, base)
        return repository.startswith(EXERCISE_PREFIX) and tag.rpartition("-")[2] != recipe

    return sorted({name for name in tags if stale(name)})


def stale_images(client: docker.DockerClient, *, runtime: str, recipe: str,
                 base: str) -> list[str]:  # fmt: skip
    """The engine's sandbox images of another build (stale_tags). Raises SandboxError."""
    with docker_errors("listing the sandbox images"):
        tags = [t for image in client.images.list() for t in image.tags]
    return stale_tags(tags, runtime=runtime, recipe=recipe, base=base)


def prune_images(client: docker.DockerClient, *, runtime: str, recipe: str, base: str,
                 dry_run: bool = False,
                 only: Callable[[str], bool] = lambda name: True,
                 on_removed: Callable[[str], None] = lambda name: None) -> Pruned:  # fmt: skip
    """Remove the stale sandbox images that `only` accepts; with dry_run, only
    list them (as removed; no disk figures). Raises SandboxError."""
    stale = [name for name in stale_images(client, runtime=runtime, recipe=recipe, base=base)
             if only(name)]  # fmt: skip
    if dry_run:
        return Pruned(removed=stale)
    result = Pruned()
    with docker_errors("measuring the images' disk use"):
        result.layers_before = result.layers_after = _layers_size(client)
    for name in stale:
        with docker_errors(f"removing image {name}"):
            outcome = _remove(client, name)
        if outcome == "in use":
            result.in_use.append(name)
        elif outcome == "removed":
            result.removed.append(name)
            on_removed(name)
    if result.removed:
        with docker_errors("measuring the images' disk use"):
            result.layers_after = _layers_size(client)
    return result


def _remove(client: docker.DockerClient, name: str) -> str:
    """"removed", "in use" (Docker's 409: a container uses it) or "gone"."""
    try:
        client.images.remove(name)  # never forced: an image in use stays
    except docker.errors.ImageNotFound:
        return "gone"  # removed meanwhile (another prune, an operator)
    except docker.errors.APIError as exc:
        if exc.status_code == 409:
            return "in use"
        raise
    return "removed"


def _layers_size(client: docker.DockerClient) -> int:
    return int(client.df().get("LayersSize") or 0)
