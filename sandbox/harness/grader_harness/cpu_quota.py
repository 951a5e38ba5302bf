"""How many CPUs this process may use at once: the cgroup's quota, else the cores.

A sandbox gets `cpus` (1.0 by default) as a CFS quota (Docker's nano_cpus),
which os.cpu_count() does not show. Work started "beside" other work only
gains where two processes can really run at once: a cold run starts the
student's interpreter ahead (prestart.worth_starting) only then, since under
a one-CPU quota it would only take turns with the harness's own start-up,
and wait for its whole preload, slower than starting it later.
"""

from __future__ import annotations

import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _ints(path: Path) -> list[int] | None:
    """The numbers in a cgroup file ("max" is no limit: None)."""
    try:
        fields = path.read_text().split()
    except OSError:
        return None
    if not fields or not all(f.lstrip("-").isdigit() for f in fields):
        return None
    return [int(f) for f in fields]


def available_cpus(root: Path = CGROUP) -> float:
    cores = float(os.cpu_count() or 1)
    v2 = _ints(root / "cpu.max")  # "QUOTA PERIOD", or "max PERIOD"
    if v2 is not None and len(v2) == 2 and v2[0] > 0 and v2[1] > 0:
        return min(v2[0] / v2[1], cores)
    quota = _ints(root / "cpu" / "cpu.cfs_quota_us")  # v1: -1 is no limit
    period = _ints(root / "cpu" / "cpu.cfs_period_us")
    if quota and period and quota[0] > 0 and period[0] > 0:
        return min(quota[0] / period[0], cores)
    return cores
