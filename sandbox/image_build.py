"""What every image build shares: the progress callback, the cache folder, one
builder per tag across processes, and building a tag from a context tar made
in memory (no host path is mounted; network none) or a host command streamed.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import tarfile
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import docker
import docker.errors

from sandbox.engine import docker_errors
from sandbox.errors import ImageBuildFailed

# Never part of a build context nor of a content hash.
SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


class Progress(Protocol):
    """What the CLI renders: a step ("base", "wheels", "runtime", "exercise") and a detail line."""

    def __call__(self, step: str, detail: str | None = None) -> None: ...


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "grader"


@contextmanager
def build_lock(tag: str, progress: Progress | None) -> Iterator[None]:
    """One builder per tag across processes (several workers may start at once)."""
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / (re.sub(r"[^A-Za-z0-9_.-]", "_", tag) + ".lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if progress:
                progress("wait", f"another process is building {tag}; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    with docker_errors(f"looking for image {ref}"):
        try:
            client.images.get(ref)
        except docker.errors.ImageNotFound:
            return False
    return True


def public(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Context files everyone in the image may read: root-owned, 0755 or 0644."""
    if SKIPPED_PARTS.intersection(info.name.split("/")) or info.name.endswith(".pyc"):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = 0o755 if info.isdir() or info.mode & 0o100 else 0o644
    return info


def root_only(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Exercise files: root-only (go-rwx), so the student user cannot read them."""
    kept = public(info)
    if kept is not None:
        kept.mode &= 0o700
    return kept


ContextFilter = Callable[[tarfile.TarInfo], tarfile.TarInfo | None]


def build_image(
    client: docker.DockerClient,
    tag: str,
    files: Sequence[tuple[Path, str, ContextFilter]],
    buildargs: dict[str, str],
    progress: Progress | None,
    *,
    step: str,
    labels: dict[str, str] | None = None,
) -> None:
    """Build tag (network none) from a context of (source, name in context,
    filter), labelled grader.image=<step> and `labels`."""
    tail: deque[str] = deque(maxlen=40)
    # In memory while small; spills to a file past 64 MB (the wheelhouse is ~15 MB).
    with tempfile.SpooledTemporaryFile(max_size=64 << 20) as context:
        with tarfile.open(fileobj=context, mode="w") as tar:
            for source, name, keep in files:
                tar.add(source, name, filter=keep)
        context.seek(0)
        with docker_errors(f"building {tag}"):
            for chunk in client.api.build(
                fileobj=context, custom_context=True, tag=tag, buildargs=buildargs, rm=True,
                forcerm=True, pull=False, network_mode="none", decode=True,
                labels={"grader.image": step, **(labels or {})},
            ):  # fmt: skip
                for line in str(chunk.get("stream", "")).splitlines():
                    if line.strip():
                        tail.append(line)
                        if progress:
                            progress(step, line)
                if "error" in chunk:
                    log = "\n".join([*tail, str(chunk["error"])])
                    raise ImageBuildFailed(f"building {tag} failed:\n{log}")
    if not image_exists(client, tag):
        raise ImageBuildFailed(f"building {tag} ended without the image:\n" + "\n".join(tail))


def run_streaming(
    command: list[str], progress: Progress | None, *, what: str, step: str = "base", hint: str = ""
) -> None:
    """Run command, passing each output line to progress; ImageBuildFailed with the tail."""
    tail: deque[str] = deque(maxlen=30)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            tail.append(line)
            # debootstrap says "I: Retrieving x", "I: Extracting y": worth showing.
            if progress and line:
                progress(step, line)
    if proc.returncode != 0:
        log = "\n".join(tail)
        raise ImageBuildFailed(f"{what} failed (exit {proc.returncode}). {hint}\n{log}".strip())
