"""What a process sees inside a sandbox started with the real settings.

The stand-in harness (root, as the real one) looks around, then starts a
process as the student user (uid 10001) and reports what that one could do.
"""

from __future__ import annotations

import docker
import pytest

from grader_harness.report import Status
from sandbox import runner
from sandbox.limits import SandboxLimits
from tests.helpers.sandbox_standins import facts, make_request, report_command

pytestmark = pytest.mark.docker

# CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7): docs/architecture.md.
HARNESS_CAPS = (1 << 5) | (1 << 6) | (1 << 7)

LOOK_AROUND = """
import errno, socket, stat, subprocess

def status_field(name, path="/proc/self/status"):
    for line in open(path):
        if line.startswith(name + ":"):
            return line.split()[1]

def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

STUDENT = '''
import ctypes, errno, json, os
def status_field(name):
    for line in open("/proc/self/status"):
        if line.startswith(name + ":"):
            return line.split()[1]
def attempt(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
print(json.dumps({
    "uid": os.getuid(), "cap_eff": int(status_field("CapEff"), 16),
    "no_new_privs": ctypes.CDLL(None).prctl(39, 0, 0, 0, 0),  # PR_GET_NO_NEW_PRIVS
    "list_grader": attempt(lambda: os.listdir("/grader")),
    "read_test": attempt(lambda: open("/grader/tests/test_hidden.py").read()),
    "signal_harness": attempt(lambda: os.kill(1, 0)),
    "write_tmp": attempt(lambda: open("/tmp/student.txt", "w").write("x")),
    "write_workspace": attempt(lambda: open("/workspace/student.txt", "w").write("x")),
}))
'''
student = subprocess.run(["python", "-c", STUDENT], user=10001, group=10001, extra_groups=[],
                         capture_output=True, text=True, timeout=20)
grader_mode = os.stat("/grader")
emit(json.dumps({
    "cap_eff": int(status_field("CapEff"), 16),
    "interfaces": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev")
                         if ":" in line),
    # What the sandbox knows of the host's network: nothing (Docker writes no
    # resolv.conf with networking disabled); `localhost` from the image's hosts.
    "resolv_conf": open("/etc/resolv.conf").read(),
    "localhost": socket.gethostbyname("localhost"),
    "write_root": attempt(lambda: open("/etc/evil", "w").write("x")),
    "write_usr": attempt(lambda: open("/usr/lib/evil", "w").write("x")),
    "write_tmp": attempt(lambda: open("/tmp/harness.txt", "w").write("x")),
    "grader_mode": oct(stat.S_IMODE(grader_mode.st_mode)), "grader_uid": grader_mode.st_uid,
    "test_mode": oct(stat.S_IMODE(os.stat("/grader/tests/test_hidden.py").st_mode)),
    "grader_files": sorted(os.path.relpath(os.path.join(d, f), "/grader")
                           for d, _, fs in os.walk("/grader") for f in fs),
    "student": json.loads(student.stdout) if student.returncode == 0 else student.stderr,
}))
"""


@pytest.mark.parametrize("runtime", ["runc", pytest.param("runsc", marks=pytest.mark.gvisor)])
def test_inside_the_sandbox(client: docker.DockerClient, exercise_image: str, runtime: str) -> None:
    report = runner.run_in_sandbox(
        client=client, image=exercise_image, request=make_request(), limits=SandboxLimits(),
        runtime=runtime, command=report_command(LOOK_AROUND),
    )  # fmt: skip
    assert report.status is Status.PASSED, report
    seen = facts(report.message)
    assert seen["cap_eff"] == HARNESS_CAPS
    assert seen["interfaces"] == ["lo"]
    assert seen["resolv_conf"] == "" and seen["localhost"] == "127.0.0.1"
    assert seen["write_root"] == "EROFS" and seen["write_usr"] == "EROFS"
    assert seen["write_tmp"] == "ok"
    assert seen["grader_mode"] == "0o700" and seen["grader_uid"] == 0
    assert seen["test_mode"] == "0o600"
    # The hidden test and the data are there, and the caches the image's build
    # compiled (grader_harness/precompile.py); the host's __pycache__ is not
    # (tests/sandbox/test_sandbox_images.py tells the two .pyc apart).
    cached = [f for f in seen["grader_files"] if f.startswith("tests/__pycache__/")]
    assert [f for f in seen["grader_files"] if f not in cached] == \
        ["data/rows.csv", "tests/test_hidden.py"]
    assert len(cached) == 2 and "tests/__pycache__/test_hidden.cpython-311.pyc" in cached
    assert any(f.startswith("tests/__pycache__/test_hidden.cpython-311-pytest-") for f in cached)
    assert seen["student"] == {
        "uid": 10001,
        "cap_eff": 0,
        "no_new_privs": 1,
        "list_grader": "EACCES",
        "read_test": "EACCES",
        "signal_harness": "EPERM",
        "write_tmp": "ok",
        "write_workspace": "EACCES",  # /workspace is root's 0755: the harness decides
    }
