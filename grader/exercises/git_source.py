"""Packs from a git repository: clone REPO at REF into a temporary folder and
find its packs. Used by `grader exercises sync` (on the author's machine)
and by the service's sync (on the server, where REPO is hostile input).

What a hostile REPO or REF cannot do here:
- pass an option to git: a value starting with '-' is refused, and both go
  after `--` or as a plain argument git does not parse as an option;
- run a command through a transport (`ext::sh -c ...`): GIT_ALLOW_PROTOCOL
  lists only http(s), ssh and git, plus file when local sources are allowed;
- read the server's own repositories: with allow_local=False only http(s),
  ssh and git URLs are taken (the setting GRADER_SYNC_ALLOW_LOCAL);
- wait for a password (GIT_TERMINAL_PROMPT=0, ssh BatchMode) or forever
  (every git command has a timeout);
- smuggle a server file into a pack through a symlink: links_in() lists
  them so the caller refuses that pack.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.exercises.manifest import ManifestError
from grader.exercises.pack import discover

REMOTE_PROTOCOLS = "https:http:ssh:git"
LOCAL_PROTOCOLS = "file:" + REMOTE_PROTOCOLS
# URLs always allowed: a scheme git fetches over the network, or scp-like
# `user@host:path` (ssh).
_REMOTE = re.compile(r"^(https?|ssh|git)://[^/\s]+|^[\w.-]+@[\w.-]+:[^/]")
CLONE_TIMEOUT = 120.0
MAX_VALUE = 1000


class GitSourceError(ValueError):
    """The repository or the ref is refused, or git could not clone or check it out."""


def check_value(value: str, what: str) -> None:
    """Refuse what git could read as an option, or that holds control characters."""
    if not value or len(value) > MAX_VALUE:
        raise GitSourceError(f"{what}: 1 to {MAX_VALUE} characters")
    if value.startswith("-"):
        raise GitSourceError(f"{what} {value!r}: may not start with '-'")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise GitSourceError(f"{what} {value!r}: control characters are not allowed")


def is_remote(repo: str) -> bool:
    return bool(_REMOTE.match(repo))


def _git(args: list[str], env: dict[str, str], timeout: float, cwd: Path | None = None
         ) -> None:
    try:  # a session of its own: a timeout ends git's helpers (ssh, remote-https) too
        proc = subprocess.Popen(["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    except OSError as exc:
        raise GitSourceError(f"git cannot run here: {exc}") from None
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the git we started, by its pid
        proc.communicate()
        raise GitSourceError(f"git {args[0]}: no answer within {timeout:g} s") from None
    if proc.returncode != 0:
        said = stderr.strip().splitlines()
        raise GitSourceError(f"git {args[0]}: " + (" ".join(said[-3:]) or
                                                  f"exit status {proc.returncode}"))


@dataclass(frozen=True)
class Clone:
    root: Path  # the checked-out work tree (temporary)
    packs: list[Path]  # its pack folders, sorted

    def name(self, folder: Path) -> str:
        """A pack folder as the repository's authors know it (relative path)."""
        below = folder.relative_to(self.root).as_posix()
        return folder.name if below == "." else below


@contextmanager
def cloned_packs(repo: str, ref: str | None = None, *, allow_local: bool = True,
                 timeout: float = CLONE_TIMEOUT) -> Iterator[Clone]:
    """Clone `repo`, check out `ref` (default HEAD) and yield the clone with its
    pack folders (grader.exercises.pack.discover); removed afterwards.
    GitSourceError says what is refused or what git answered."""
    check_value(repo, "repository")
    if ref is not None:
        check_value(ref, "ref")
    if not allow_local and not is_remote(repo):
        raise GitSourceError(f"repository {repo!r}: only http(s)://, ssh:// and git:// URLs "
                             "are allowed here (local paths are off: GRADER_SYNC_ALLOW_LOCAL)")
    env = {**os.environ, "GIT_ALLOW_PROTOCOL": LOCAL_PROTOCOLS if allow_local
           else REMOTE_PROTOCOLS, "GIT_TERMINAL_PROMPT": "0",
           "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
           "GIT_CONFIG_NOSYSTEM": "1"}
    with tempfile.TemporaryDirectory(prefix="grader-sync-") as work:
        clone = Path(work) / "repo"
        _git(["clone", "--quiet", "--no-checkout", "--", repo, str(clone)], env, timeout)
        _git(["checkout", "--quiet", "--detach", ref or "HEAD", "--"], env, timeout, cwd=clone)
        try:
            folders = discover([clone])
        except ManifestError as exc:
            raise GitSourceError(str(exc)) from None
        root = clone.resolve()
        yield Clone(root, [f for f in folders if f.is_relative_to(root)])


def links_in(folder: Path) -> list[str]:
    """Entries of a pack folder that are not regular files or folders (symlinks
    above all: packing would follow them out of the clone)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            found.append(path.relative_to(folder).as_posix())
    return found
