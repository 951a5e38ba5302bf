"""The base image: the configured one if it is here or can be pulled, else an
offline Debian base made with debootstrap and `docker import`.

Machines without a reachable registry (DESIGN.md) still get a base this way;
a deployment with a registry keeps an ordinary `FROM python:3.11-slim`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import docker
import docker.utils
import requests

from sandbox.engine import docker_errors
from sandbox.errors import ImageBuildFailed, ImageMissing
from sandbox.image_build import Progress, build_lock, image_exists, run_streaming

SUITE = "bookworm"
# postgresql-15: the `sql` runner's server (initdb'd per exercise image, not
# here). Debian's package would also make a "main" cluster: _TRIM drops it.
# libnss-myhostname: `localhost` resolves without /etc/hosts, so sandboxes
# may run with Docker's networking disabled (container.LABEL_NETWORK_DISABLED).
PACKAGES = ("python3", "python3-venv", "postgresql-15", "libnss-myhostname")
MIRROR = os.environ.get("GRADER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Bump when the recipe below changes in a way the hash cannot see.
RECIPE_VERSION = "1"
# A registry that does not answer must not hold a grading up: give up on the
# pull after this long without a byte (a pull that makes progress goes on).
PULL_TIMEOUT = (5.0, 15.0)
_IMPORT_CHANGES = [
    # An imported root file system has no image config at all.
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
]
# Caches of debootstrap/apt that only make the image bigger.
_TRIM = ("var/cache/apt", "var/lib/apt/lists", "usr/share/man", "usr/share/info",
         "var/lib/postgresql/15/main", "etc/postgresql/15/main")


def ensure_base_image(
    client: docker.DockerClient,
    *,
    base_image: str,
    offline_base: bool,
    progress: Progress | None = None,
) -> str:
    """The base image to build on: base_image if here or pullable, else the offline base."""
    found = find_base_image(client, base_image=base_image, offline_base=offline_base)
    if found is not None:
        return found
    fallback = offline_base_tag()
    if try_pull(client, base_image, progress):
        return base_image
    if not offline_base:
        raise ImageMissing(
            f"base image {base_image} is not here and cannot be pulled. Pull or `docker load` it, "
            "set GRADER_BASE_IMAGE to an image that is here, or set GRADER_OFFLINE_BASE=true."
        )
    with build_lock(fallback, progress):
        if not image_exists(client, fallback):
            if progress:
                progress("base", f"{base_image} cannot be had: building {fallback} offline")
            build_offline_base(client, fallback, progress)
    return fallback


def find_base_image(client: docker.DockerClient, *, base_image: str,
                    offline_base: bool) -> str | None:  # fmt: skip
    """The base image ensure_base_image() would build on, if it is here already."""
    if image_exists(client, base_image):
        return base_image
    fallback = offline_base_tag()
    # An offline base built earlier wins over another slow, failing pull.
    if offline_base and image_exists(client, fallback):
        return fallback
    return None


def offline_base_tag() -> str:
    recipe = "\n".join([RECIPE_VERSION, SUITE, "minbase", *PACKAGES, *_IMPORT_CHANGES, *_TRIM])
    return f"grader-base:{SUITE}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def try_pull(client: docker.DockerClient, ref: str, progress: Progress | None) -> bool:
    """Pull ref, failing fast when no registry answers. True when it is here afterwards."""
    repo, tag = docker.utils.parse_repository_tag(ref)
    url = f"{client.api.base_url}/v{client.api.api_version}/images/create"
    if progress:
        progress("base", f"pulling {ref}")
    try:
        # The SDK's pull() has no timeout at all; the raw request gets one.
        with client.api.post(
            url,
            params={"fromImage": repo, "tag": tag or "latest"},
            stream=True,
            timeout=PULL_TIMEOUT,
        ) as response:
            for line in response.iter_lines():
                if progress and line:
                    progress("base", line.decode(errors="replace")[:200])
    except requests.exceptions.RequestException:
        return False
    return image_exists(client, ref)


def build_offline_base(client: docker.DockerClient, tag: str, progress: Progress | None) -> None:
    """debootstrap a minimal Debian with Python into a temp dir and import it as `tag`."""
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise ImageMissing(
            f"no base image: {tag} must be built offline with debootstrap, which needs root "
            "and the debootstrap package. Run `grader images build` (or scripts/setup) as root "
            "with debootstrap installed (apt-get install debootstrap), or make a base image "
            "available (docker pull/load it) and set GRADER_BASE_IMAGE to it."
        )
    with tempfile.TemporaryDirectory(prefix="grader-base-") as tmp:
        root = Path(tmp) / "rootfs"
        command = [
            "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
            SUITE, str(root), MIRROR,
        ]  # fmt: skip
        run_streaming(
            command,
            progress,
            what=f"debootstrap of {SUITE}",
            hint=f"The Debian mirror {MIRROR} must answer (set GRADER_DEBIAN_MIRROR for another).",
        )
        for part in _TRIM:
            shutil.rmtree(root / part, ignore_errors=True)
        # debootstrap copies the host's name and resolver; Docker sets its own.
        (root / "etc/hostname").write_text("localhost\n")
        (root / "etc/resolv.conf").write_text("")
        archive = Path(tmp) / "rootfs.tar"
        run_streaming(
            ["tar", "--numeric-owner", "-C", str(root), "-cf", str(archive), "."],
            progress,
            what="packing the base file system",
        )
        if progress:
            progress("base", f"importing {tag} into Docker")
        repository, _, version = tag.partition(":")
        with docker_errors(f"importing {tag}"):
            client.api.import_image_from_file(
                str(archive), repository=repository, tag=version, changes=_IMPORT_CHANGES
            )
    if not image_exists(client, tag):
        raise ImageBuildFailed(f"docker import did not produce {tag}")
