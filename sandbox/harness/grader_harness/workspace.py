"""Writing the student's files into the workspace, root-owned and read-only to them.

The host checks the paths already; we check again because a path is the
one part of the request that decides where we, as root, write. Files are
0644 and folders 0755, owned by the harness's user: the student can read
and import them but not change them (scratch space is /tmp).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from grader_harness.errors import BadRequest

MAX_PATH_CHARS = 255


def check_path(name: str) -> PurePosixPath:
    """A safe relative path, or BadRequest naming what is wrong with it."""
    if not name or len(name) > MAX_PATH_CHARS or "\x00" in name or "\\" in name:
        raise BadRequest(f"file path {name[:80]!r} is empty, too long or has a forbidden character")
    path = PurePosixPath(name)
    if path.is_absolute():
        raise BadRequest(f"file path {name!r} is absolute")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise BadRequest(f"file path {name!r} has an empty, '.' or '..' part")
    return path


def _no_symlink_on_the_way(root: Path, path: PurePosixPath) -> None:
    current = root
    for part in path.parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            raise BadRequest(f"file path {str(path)!r} passes through a symbolic link")


def write_files(root: Path, files: dict[str, str]) -> list[PurePosixPath]:
    """Write `files` (path -> text) under `root`; returns the paths written."""
    paths = {check_path(name): text for name, text in files.items()}
    names = {str(p) for p in paths}
    for path in paths:
        for parent in path.parents:
            if str(parent) in names:
                raise BadRequest(f"{str(parent)!r} is both a file and a folder")
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    for path, text in sorted(paths.items()):
        _no_symlink_on_the_way(root, path)
        folder = root
        for part in path.parts[:-1]:
            folder = folder / part
            if not folder.is_dir():
                folder.mkdir(mode=0o755)
                os.chmod(folder, 0o755)  # mkdir's mode is masked by the umask
        target = root / path
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(f"file {str(path)!r} is not valid text (a lone surrogate)") from None
        # O_EXCL and O_NOFOLLOW: never write through something already there.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            with os.fdopen(fd, "wb", closefd=False) as out:
                out.write(data)
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)
    return sorted(paths)
