"""The student interpreter a warm sandbox starts ahead, in real containers.

A warm sandbox (sandbox/pool.py, `--warm RUNNER`) starts the student's
interpreter before the request (grader_harness/prestart.py). Here, through
the real pool and the real harness: a warm grading runs in that interpreter
(its process is older than the request), which is the student's uid with no
capability, no group, no descriptor of the harness, and cannot read the
hidden tests or the harness's /proc; the catalogue's http-app exercise and
hostile apps are graded exactly as a cold sandbox grades them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.exercises.pack import MUTANT_SPEC, content_hash, load_pack
from grader.exercises.submission import read_submission
from grader.sandbox_grading import grade_files
from grader.selftest import cases_of
from grader.settings import Settings
from grader_harness.protocol import GradingRequest, HarnessConfig
from grader_harness.report import Report
from sandbox import images, runner
from sandbox.images import ExerciseImageSpec
from sandbox.limits import SandboxLimits
from sandbox.pool import WarmPool
from tests.helpers.prestart_probe import (
    CASES,
    facts_of,
    hidden_test,
    other_descriptors,
    pipes,
    prestarted,
)

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[2]
STUDENT_UID = 10001  # sandbox/images/runtime/Dockerfile
LIMITS = SandboxLimits(wall_seconds=15.0, memory_mb=256)  # a loaded machine is slow
ANSWERS_TEST = "def test_answers(client):\n    assert client.get('/').status_code == 200\n"
APP_TAIL = ("\nfrom fastapi import FastAPI\napp = FastAPI()\n"
            "@app.get('/')\ndef root():\n    return {}\n")  # fmt: skip
HOSTILE = {
    "kills itself": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "floods": "import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n",
    "never answers": "import time\ntime.sleep(3600)\n",
}


def build(client: docker.DockerClient, root: Path, slug: str, test: str) -> str:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_hidden.py").write_text(test + f"# {uuid.uuid4().hex}\n")
    spec = ExerciseImageSpec(slug=slug, content_hash=content_hash(root), tests=root / "tests",
                             public_tests=None, data=None)  # fmt: skip
    settings = Settings()
    return images.ensure_exercise_image(client, spec, base_image=settings.base_image,
                                        offline_base=settings.offline_base)  # fmt: skip


@pytest.fixture(scope="module")
def facts_images(docker_client: docker.DockerClient,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:  # fmt: skip
    made = {name: build(docker_client, tmp_path_factory.mktemp(f"facts-{name}"),
                        f"prestart-facts-{name}", hidden_test(name)) for name in CASES}
    yield made
    for tag in made.values():
        docker_client.images.remove(tag, force=True)


@pytest.fixture
def pool(docker_client: docker.DockerClient) -> Iterator[WarmPool]:
    made = WarmPool(docker_client, max_keys=1, idle_seconds=60)
    yield made
    made.close()


def warm_grading(pool: WarmPool, grade: Callable[[], Report]) -> Report:
    """grade() in a warm sandbox of `pool`, started (and ready) before the
    request: the pool has graded this key before, so it keeps one warm."""
    give_up = time.monotonic() + 60
    # Loaded: its harness (and the student's interpreter) waits for the request.
    # On a loaded machine a container counts idle well before that.
    while pool.loaded_count() < 1:
        assert time.monotonic() < give_up, "the pool did not refill"
        time.sleep(0.05)
    time.sleep(0.5)  # as a pooled sandbox does: waiting, loaded, before its request
    hits, unloaded = pool.hits, pool.unloaded
    report = grade()
    assert (pool.hits, pool.unloaded) == (hits + 1, unloaded), "not the loaded warm sandbox"
    return report


def cold_then_warm(pool: WarmPool, grade: Callable[[], Report]) -> tuple[Report, Report]:
    """grade() in a cold sandbox, then in a warm one. The pool's first grading
    of a key misses, so it runs in a cold container (the same container as
    without a pool) and tells the pool what to keep warm: that grading is the
    cold side of the comparison, rather than a third grading that repeats it."""
    assert pool.hits + pool.misses == 0, "the pool has graded before: not a cold start"
    cold = grade()
    assert (pool.hits, pool.misses) == (0, 1), "the first grading did not go cold"
    return cold, warm_grading(pool, grade)


def probe_request(name: str, options: dict[str, Any] | None = None) -> GradingRequest:
    _, _, base, files = CASES[name]
    config = HarnessConfig(runner=name, options={**base, **(options or {})},
                           hidden_messages="full", wall_seconds=LIMITS.wall_seconds)  # fmt: skip
    return GradingRequest(config=config, files=files)


def check_confined(found: dict[str, Any], name: str, runtime: str) -> None:
    assert (found["uid"], found["gid"], found["groups"]) == (STUDENT_UID, STUDENT_UID, [])
    assert int(found["cap"], 16) == 0, f"capabilities {found['cap']}"
    assert found["hidden_tests"] is False, "the student read /grader/tests"
    assert found["harness"], "the probe did not find the harness's process"
    assert found["harness_fds"] == found["harness_mem"] == []
    if runtime == "runc":
        # gVisor shows another uid's fd list and environ (the same to a cold
        # process: compared below), though none of those descriptors opens.
        assert found["harness_fd_lists"] == found["harness_environ"] == []
    assert found["fds"]["0"] == "/dev/null" and other_descriptors(found) == {}, found["fds"]
    assert len(pipes(found)) == (3 if name == "python" else 1), found["fds"]


@pytest.mark.parametrize("runtime", ["runc", pytest.param("runsc", marks=pytest.mark.gvisor)])
@pytest.mark.parametrize("name", list(CASES))
def test_a_warm_sandbox_runs_its_prestarted_interpreter_confined_as_the_student(
    docker_client: docker.DockerClient, facts_images: dict[str, str], pool: WarmPool,
    name: str, runtime: str,
) -> None:  # fmt: skip
    request = probe_request(name)

    def grade() -> Report:
        return runner.run_in_sandbox(client=docker_client, image=facts_images[name],
                                     request=request, limits=LIMITS, runtime=runtime,
                                     pool=pool)  # fmt: skip

    cold_report, warm_report = cold_then_warm(pool, grade)
    warm, cold = facts_of(warm_report), facts_of(cold_report)
    assert prestarted(warm), warm
    check_confined(warm, name, runtime)
    assert not prestarted(cold), cold
    check_confined(cold, name, runtime)
    assert warm["env"].keys() == cold["env"].keys()
    reach = ("harness_fd_lists", "harness_environ")
    assert [warm[k] for k in reach] == [cold[k] for k in reach]


def test_the_catalogue_http_app_exercise_grades_the_same_warm_and_cold(
    docker_client: docker.DockerClient, pool: WarmPool
) -> None:
    pack = load_pack(REPO / "exercises" / "api-design" / "books-api")
    settings = Settings()
    checked = 0
    for case in cases_of(pack):
        files = case.files if case.files is not None else read_submission(
            case.folder, pack.manifest.submission, ignore=(MUTANT_SPEC,))

        def grade(with_pool: WarmPool | None = pool, f: dict[str, str] = files) -> Report:
            return grade_files(pack=pack, files=f, settings=settings, client=docker_client,
                               pool=with_pool)  # fmt: skip

        if checked == 0:  # the pool's first grading of the exercise is a cold one
            cold, warm = cold_then_warm(pool, grade)
        else:
            cold, warm = grade(None), warm_grading(pool, grade)
        assert (warm.status, warm.score, warm.max_score) == (
            cold.status, cold.score, cold.max_score), case.label
        assert [(t.id, t.outcome, t.message) for t in warm.tests] == [
            (t.id, t.outcome, t.message) for t in cold.tests], case.label
        checked += 1
    assert checked >= 3  # the reference, the starter and mutants


@pytest.fixture(scope="module")
def answers_image(docker_client: docker.DockerClient,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # fmt: skip
    tag = build(docker_client, tmp_path_factory.mktemp("answers"), "prestart-answers",
                ANSWERS_TEST)
    yield tag
    docker_client.images.remove(tag, force=True)


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_hostile_apps_are_graded_in_a_warm_sandbox_exactly_as_cold(
    docker_client: docker.DockerClient, answers_image: str, pool: WarmPool, hostile: str
) -> None:
    config = HarnessConfig(runner="http-app", options={"app": "app:app"}, hidden_messages="full",
                           wall_seconds=LIMITS.wall_seconds, output_bytes=100_000)  # fmt: skip
    request = GradingRequest(config=config, files={"app.py": HOSTILE[hostile] + APP_TAIL})

    def grade() -> Report:
        return runner.run_in_sandbox(client=docker_client, image=answers_image,
                                     request=request, limits=LIMITS, pool=pool)  # fmt: skip

    cold, warm = cold_then_warm(pool, grade)
    assert warm.status == cold.status != "passed"
    assert (warm.score, warm.message, warm.output) == (cold.score, cold.message, cold.output)
    assert [(t.outcome, t.message) for t in warm.tests] == [
        (t.outcome, t.message) for t in cold.tests]
