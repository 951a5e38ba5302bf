"""The stdin -> stdout channel and the outcomes the host decides itself."""

from __future__ import annotations

import hashlib
import json
import time

import docker
import pytest

from grader_harness.report import Status
from sandbox import runner
from sandbox.errors import HarnessFailed, ImageMissing, RuntimeUnavailable
from sandbox.limits import SandboxLimits
from tests.helpers.sandbox_standins import make_request, report_command

pytestmark = pytest.mark.docker

RUNTIMES = ["runc", pytest.param("runsc", marks=pytest.mark.gvisor)]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_request_in_report_out(
    client: docker.DockerClient, runtime_image: str, runtime: str
) -> None:
    # Non-ASCII text and a 1.5 MB file: more than any pipe or socket buffer.
    files = {"app/main.py": "print('héllo ✓')\n", "big.txt": "x" * 1_500_000}
    request = make_request(files)
    command = report_command(
        """
        import hashlib
        digest = hashlib.sha256(json.dumps(request["files"], sort_keys=True).encode()).hexdigest()
        emit(json.dumps({"digest": digest, "main": request["files"]["app/main.py"],
                         "runner": request["config"]["runner"], "uid": os.getuid()}))
        """
    )
    report = runner.run_in_sandbox(
        client=client, image=runtime_image, request=request, limits=SandboxLimits(),
        runtime=runtime, command=command,
    )  # fmt: skip
    assert report.status is Status.PASSED and report.score == 1
    echoed = json.loads(report.message or "")
    expected = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    assert echoed == {
        "digest": expected,
        "main": files["app/main.py"],
        "runner": "python",
        "uid": 0,
    }


def test_garbage_on_stdout_is_a_harness_failure(
    client: docker.DockerClient, runtime_image: str
) -> None:
    command = report_command(
        """
        print("this is not a report")
        sys.stderr.write("harness exploded: details here\\n")
        sys.exit(3)
        """
    )
    with pytest.raises(HarnessFailed) as caught:
        runner.run_in_sandbox(
            client=client, image=runtime_image, request=make_request(), limits=SandboxLimits(),
            command=command,
        )  # fmt: skip
    message = str(caught.value)
    assert "code 3" in message and "not JSON" in message
    assert "harness exploded: details here" in message


def test_a_silent_harness_is_a_harness_failure(
    client: docker.DockerClient, runtime_image: str
) -> None:
    with pytest.raises(HarnessFailed, match="code 0"):
        runner.run_in_sandbox(
            client=client, image=runtime_image, request=make_request(), limits=SandboxLimits(),
            command=["true"],
        )  # fmt: skip


def test_no_answer_is_a_timeout_within_wall_plus_grace(
    client: docker.DockerClient, runtime_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "STARTUP_GRACE_SECONDS", 2.0)
    limits = SandboxLimits(wall_seconds=1.0)
    started = time.monotonic()
    report = runner.run_in_sandbox(
        client=client, image=runtime_image, request=make_request(wall=1.0), limits=limits,
        command=["sleep", "infinity"],
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert report.status is Status.TIMEOUT and report.score == 0
    assert "1 s" in (report.message or "")
    assert 3.0 <= elapsed < 3.0 + 3.0, elapsed


def test_a_memory_hog_is_memory_exceeded(client: docker.DockerClient, runtime_image: str) -> None:
    command = report_command(
        """
        hoard = []
        while True:
            hoard.append(b"x" * (8 << 20))  # written, so the pages are really used
        """
    )
    report = runner.run_in_sandbox(
        client=client, image=runtime_image, request=make_request(),
        limits=SandboxLimits(memory_mb=64), command=command,
    )  # fmt: skip
    assert report.status is Status.MEMORY_EXCEEDED
    assert "64 MB" in (report.message or "")


def test_a_missing_image_fails_fast_without_a_registry(client: docker.DockerClient) -> None:
    started = time.monotonic()
    with pytest.raises(ImageMissing, match="grader-ex-no-such-exercise:0"):
        runner.run_in_sandbox(
            client=client, image="grader-ex-no-such-exercise:0", request=make_request(),
            limits=SandboxLimits(),
        )  # fmt: skip
    assert time.monotonic() - started < 2.0


def test_an_unknown_runtime_is_named(client: docker.DockerClient, runtime_image: str) -> None:
    with pytest.raises(RuntimeUnavailable, match=r"daemon\.json"):
        runner.run_in_sandbox(
            client=client, image=runtime_image, request=make_request(), limits=SandboxLimits(),
            runtime="no-such-runtime", command=["true"],
        )  # fmt: skip


def test_a_process_flood_is_contained(client: docker.DockerClient, runtime_image: str) -> None:
    command = report_command(
        """
        import subprocess
        started = []
        try:
            for _ in range(100):
                started.append(subprocess.Popen(["sleep", "30"]))
        except OSError:
            pass
        emit(str(len(started)))
        """
    )
    report = runner.run_in_sandbox(
        client=client, image=runtime_image, request=make_request(),
        limits=SandboxLimits(processes=16), command=command,
    )  # fmt: skip
    assert report.status is Status.PASSED
    assert 0 < int(report.message or "0") < 16


def test_an_oversized_stdout_is_not_read_whole(
    client: docker.DockerClient, runtime_image: str
) -> None:
    command = report_command('sys.stdout.write("x" * (5 << 20))')
    with pytest.raises(HarnessFailed, match="larger than"):
        runner.run_in_sandbox(
            client=client, image=runtime_image, request=make_request(), limits=SandboxLimits(),
            command=command,
        )  # fmt: skip
