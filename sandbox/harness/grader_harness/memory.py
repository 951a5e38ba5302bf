"""The container's memory cgroup, read as corroboration of an out-of-memory kill.

The harness's main evidence is a student process that died of SIGKILL we did
not send (see student.py). A process the student's code started itself is not
our child, so we never see how it died: the cgroup's OOM-kill counter catches
those. Its count only means anything inside the sandbox, where the cgroup is
the container's own; on a host it is the machine's, so callers read it only
when they dropped privileges (that is, run in the sandbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _read_key(path: Path, key: str) -> int | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class MemoryCounters:
    oom_kills: int | None  # processes the kernel killed for the cgroup's limit
    limit_hits: int | None  # times usage hit the limit (v1 failcnt, v2 "max")

    @classmethod
    def read(cls, root: Path = CGROUP) -> MemoryCounters:
        v2 = root / "memory.events"
        if v2.exists():
            return cls(_read_key(v2, "oom_kill"), _read_key(v2, "max"))
        v1 = root / "memory"
        oom_control = v1 / "memory.oom_control"
        return cls(_read_key(oom_control, "oom_kill"), _read_int(v1 / "memory.failcnt"))

    def oom_killed_since(self, before: MemoryCounters) -> bool:
        """True when the kernel OOM-killed something between the two readings.

        A rise of limit_hits alone is not enough: the kernel often reclaims page
        cache at the limit and nothing dies."""
        if self.oom_kills is None or before.oom_kills is None:
            return False
        return self.oom_kills > before.oom_kills
