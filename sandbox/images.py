"""The sandbox images: base -> grader-runtime:<hash> -> grader-ex-<slug>:<hash>.

Each image is built only when its tag is missing, and each tag is a hash of
everything that goes into it, so an image is rebuilt exactly when its inputs
change. Build contexts are tars made in memory (no host path is mounted) and
builds run with network none: the runtime's Python packages come from a
wheelhouse the host downloads first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

import grader_harness
from sandbox.container import LABEL_NETWORK_DISABLED
from sandbox.engine import docker_errors
from sandbox.errors import ImageBuildFailed, ImageMissing
from sandbox.image_build import (
    SKIPPED_PARTS,
    Progress,
    build_image,
    build_lock,
    cache_dir,
    image_exists,
    public,
    root_only,
    run_streaming,
)
from sandbox.offline_base import ensure_base_image, find_base_image

IMAGES_DIR = Path(__file__).resolve().parent / "images"
RUNTIME_DIR = IMAGES_DIR / "runtime"
EXERCISE_DOCKERFILE = IMAGES_DIR / "exercise" / "Dockerfile"
# sql runner exercises: the same, plus the template cluster built in the image.
SQL_EXERCISE_DOCKERFILE = IMAGES_DIR / "exercise" / "sql.Dockerfile"
# Wherever this host imports it from (a checkout or an installed grader).
HARNESS_DIR = Path(grader_harness.__file__).resolve().parent
# Bump when the build recipe changes in a way the hash cannot see (this file,
# image_build.py). 2: the LABEL_NETWORK_DISABLED label.
RUNTIME_RECIPE_VERSION = "2"


@dataclass(frozen=True)
class ExerciseImageSpec:
    slug: str
    content_hash: str
    tests: Path
    public_tests: Path | None
    data: Path | None
    # The sql runner's: the reference solution (its indexes are built into the
    # image, its queries run beside the student's) and the manifest's [sql].
    reference: Path | None = None
    sql_options: dict[str, Any] | None = None


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix != ".pyc"
        and not SKIPPED_PARTS.intersection(p.relative_to(root).parts)
    )


def runtime_tag(client: docker.DockerClient, base: str) -> str:
    digest = hashlib.sha256(RUNTIME_RECIPE_VERSION.encode())
    inputs = [
        (RUNTIME_DIR, RUNTIME_DIR / "Dockerfile"),
        (RUNTIME_DIR, RUNTIME_DIR / "requirements.txt"),
    ]
    inputs += [(HARNESS_DIR, path) for path in _files(HARNESS_DIR)]
    for root, path in inputs:
        digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    with docker_errors(f"inspecting base image {base}"):
        digest.update(str(client.images.get(base).id).encode())
    return f"grader-runtime:{digest.hexdigest()[:16]}"


def ensure_runtime_image(
    client: docker.DockerClient,
    *,
    base_image: str,
    offline_base: bool,
    progress: Progress | None = None,
) -> str:
    """grader-runtime:<hash>, built if missing (used by `grader images build`)."""
    base = ensure_base_image(
        client, base_image=base_image, offline_base=offline_base, progress=progress
    )
    tag = runtime_tag(client, base)
    if image_exists(client, tag):
        return tag
    with build_lock(tag, progress):
        if not image_exists(client, tag):
            probed = probe_base(client, base)
            wheels = _wheelhouse(probed, progress)
            files = [(RUNTIME_DIR / n, n, public) for n in ("Dockerfile", "requirements.txt")]
            files += [(path, f"wheels/{path.name}", public) for path in _files(wheels)]
            files.append((HARNESS_DIR, "harness/grader_harness", public))
            disabled = {LABEL_NETWORK_DISABLED: "1" if probed.get("localhost") else "0"}
            build_image(client, tag, files, {"BASE_IMAGE": base}, progress, step="runtime",
                        labels=disabled)  # fmt: skip
    return tag


def probe_base(client: docker.DockerClient, base: str) -> dict[str, Any]:
    """Ask the base image which Python, libc and machine it has (the wheels
    must fit), and whether `localhost` resolves in it without /etc/hosts
    (container.LABEL_NETWORK_DISABLED): asked in a container like that."""
    script = (
        "import json, platform, socket, sys\n"
        "try:\n    localhost = socket.gethostbyname('localhost') == '127.0.0.1'\n"
        "except OSError:\n    localhost = False\n"
        "print(json.dumps({'python': '%d.%d' % sys.version_info[:2],"
        " 'libc': platform.libc_ver(), 'machine': platform.machine(), 'localhost': localhost}))"
    )
    with docker_errors(f"asking {base} for its Python version"):
        try:
            out = client.containers.run(
                base, ["python3", "-c", script], remove=True, network_mode="none",
                network_disabled=True,
            )  # fmt: skip
        except docker.errors.ContainerError as exc:
            raise ImageBuildFailed(f"base image {base} has no working python3: {exc}") from None
    info: dict[str, Any] = json.loads(out)
    if tuple(int(x) for x in info["python"].split(".")) < (3, 11):
        raise ImageBuildFailed(f"{base} has Python {info['python']}; the harness needs 3.11+")
    return info


def _wheelhouse(info: dict[str, Any], progress: Progress | None) -> Path:
    """Wheels of requirements.txt for the base's Python, cached under ~/.cache/grader/wheels."""
    python, machine = str(info["python"]), str(info["machine"])
    libc, libc_version = info["libc"]
    platforms = [f"manylinux2014_{machine}"]
    if libc == "glibc" and libc_version:
        newest = int(libc_version.split(".")[1])
        platforms += [f"manylinux_2_{minor}_{machine}" for minor in range(17, newest + 1)]
    requirements = RUNTIME_DIR / "requirements.txt"
    key = hashlib.sha256(requirements.read_bytes() + " ".join(platforms).encode()).hexdigest()
    dest = cache_dir() / "wheels" / python / key[:12]
    if (dest / ".complete").exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    abi = "cp" + python.replace(".", "")
    command = [sys.executable, "-m", "pip", "download", "--progress-bar", "off",
               "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
               "--abi", abi, "--abi", "abi3", "--abi", "none",
               *(arg for p in platforms for arg in ("--platform", p)),
               "-r", str(requirements), "-d", str(dest)]  # fmt: skip
    run_streaming(
        command,
        progress,
        step="wheels",
        what="downloading the sandbox image's Python packages (pip download)",
        hint="PyPI (or your PIP_INDEX_URL) must answer the first time; later builds use "
        f"the cache in {dest.parent}.",
    )
    (dest / ".complete").touch()
    return dest


def exercise_tag(spec: ExerciseImageSpec, runtime: str) -> str:
    """grader-ex-<slug>:<content hash>-<recipe hash>: the recipe is the runtime
    image and the exercise Dockerfiles, so a changed build step rebuilds."""
    return f"grader-ex-{spec.slug}:{spec.content_hash}-{exercise_recipe(runtime)}"


def exercise_recipe(runtime: str) -> str:
    """The last part of the tags of every exercise image built on `runtime`."""
    return hashlib.sha256(runtime.encode() + _dockerfiles()).hexdigest()[:8]


def current_build(client: docker.DockerClient, *, base_image: str,
                  offline_base: bool) -> tuple[str, str]:  # fmt: skip
    """(base, runtime): the images this configuration builds on now, the
    runtime built or not (for image_prune.py); ImageMissing when its base
    image is not here yet."""
    base = find_base_image(client, base_image=base_image, offline_base=offline_base)
    if base is None:
        raise ImageMissing(f"base image {base_image} is not here: `grader images build` "
                           "builds it (and the images on top)")  # fmt: skip
    return base, runtime_tag(client, base)


@functools.cache
def _dockerfiles() -> bytes:
    """The exercise Dockerfiles, read once per process: every grading names its image."""
    return EXERCISE_DOCKERFILE.read_bytes() + SQL_EXERCISE_DOCKERFILE.read_bytes()


def ensure_exercise_image(
    client: docker.DockerClient,
    spec: ExerciseImageSpec,
    *,
    base_image: str,
    offline_base: bool,
    progress: Progress | None = None,
) -> str:
    """grader-ex-<slug>:<content hash>-<recipe hash>: runtime + tests and data under /grader."""
    runtime = ensure_runtime_image(
        client, base_image=base_image, offline_base=offline_base, progress=progress
    )
    tag = exercise_tag(spec, runtime)
    if image_exists(client, tag):
        return tag
    if not spec.tests.is_dir():
        raise ImageBuildFailed(f"exercise {spec.slug}: no hidden tests folder at {spec.tests}")
    with build_lock(tag, progress):
        if not image_exists(client, tag):
            folders = {"tests": spec.tests, "public_tests": spec.public_tests, "data": spec.data,
                       "reference": spec.reference}  # fmt: skip
            sql = spec.sql_options is not None
            dockerfile = SQL_EXERCISE_DOCKERFILE if sql else EXERCISE_DOCKERFILE
            files = [(dockerfile, "Dockerfile", public)]
            files += [(f, f"grader/{n}", root_only) for n, f in folders.items() if f is not None]
            args = {"RUNTIME_IMAGE": runtime}
            if sql:
                args["SQL_OPTIONS"] = json.dumps(spec.sql_options, sort_keys=True)
            build_image(client, tag, files, args, progress, step="exercise")
    return tag
