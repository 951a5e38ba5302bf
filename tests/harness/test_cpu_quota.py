"""grader_harness.cpu_quota: the CPUs a sandbox may use, from its cgroup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader_harness.cpu_quota import available_cpus
from grader_harness.prestart import worth_starting

CORES = float(os.cpu_count() or 1)


def cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "100000 100000\n"}, min(1.0, CORES)),  # v2, Docker's --cpus 1
    ({"cpu.max": "50000 100000\n"}, 0.5),
    ({"cpu.max": "max 100000\n"}, CORES),  # v2, no limit
    ({"cpu/cpu.cfs_quota_us": "150000\n", "cpu/cpu.cfs_period_us": "100000\n"},
     min(1.5, CORES)),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, CORES),
    ({"cpu.max": "400000000 100000\n"}, CORES),  # more than the machine has
    # Hostile or broken files: read as no limit, never an exception.
    ({"cpu.max": "0 0\n"}, CORES),
    ({"cpu.max": "\x00\xff garbage"}, CORES),
    ({"cpu/cpu.cfs_quota_us": "", "cpu/cpu.cfs_period_us": "0"}, CORES),
    ({}, CORES),
])  # fmt: skip
def test_the_quota_is_read_from_either_cgroup_version(
    tmp_path: Path, files: dict[str, str], expected: float
) -> None:
    assert available_cpus(cgroup(tmp_path, files)) == pytest.approx(expected)


def test_a_cold_run_starts_the_interpreter_ahead_only_with_two_cpus() -> None:
    assert worth_starting("http-app", {"app": "app:app"}, cpus=2.0)
    assert not worth_starting("http-app", {"app": "app:app"}, cpus=1.0)  # the default sandbox
    assert worth_starting("python", {"module": "solution"}, cpus=1.5)
    assert not worth_starting("sql", {}, cpus=4.0)  # no interpreter of the student's
    assert not worth_starting("http-app", {"env": {"LC_ALL": "C"}}, cpus=4.0)
    assert not worth_starting("http-app", {"env": {"1BAD": "x"}}, cpus=4.0)
