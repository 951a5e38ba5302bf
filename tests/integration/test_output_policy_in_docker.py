"""The output policy through the real sandbox image (both student runners).

A hostile student prints every input it receives. Under the default policy
the student-facing `output` holds what it printed while starting and during
the public test, never the hidden test's input; `full` shows it, `none`
shows nothing; `author_output` always has all of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.exercises.pack import ExercisePack, load_pack
from grader.sandbox_grading import ensure_image, grade_files
from grader.settings import Settings
from grader_harness.report import Report, Status

pytestmark = pytest.mark.docker

SECRET = "HIDDEN-SECRET-90210"

COMMON = """\
category = "{category}"
title = "Output policy probe"
difficulty = "intro"

[limits]
wall_seconds = 20
memory_mb = 256
processes = 64
call_timeout_seconds = 5
"""
PACKS: dict[str, dict[str, str]] = {
    "python": {
        "exercise.toml": 'slug = "output-policy-python"\nrunner = "python"\n'
                         + COMMON.format(category="security")
                         + '[python]\nmodule = "echo"\n\n'
                         + '[submission]\nfiles = ["echo.py"]\nrequired = ["echo.py"]\n',
        "solution/echo.py": (
            "import sys\nprint('IMPORT-BANNER')\n"
            "def echo(value):\n"
            "    print('echo:', value)\n"
            "    print('err:', value, file=sys.stderr)\n"
            "    return value\n"
        ),
        "starter/echo.py": "def echo(value):\n    return None\n",
        "tests/test_echo_hidden.py": (
            f"def test_hidden(student):\n    assert student.echo('{SECRET}') == '{SECRET}'\n"
        ),
        "public_tests/test_echo_public.py": (
            "def test_public(student):\n    assert student.echo('PUBLIC-VALUE') == 'PUBLIC-VALUE'\n"
        ),
    },
    "http-app": {
        "exercise.toml": 'slug = "output-policy-http"\nrunner = "http-app"\n'
                         + COMMON.format(category="api-design")
                         + '[submission]\nfiles = ["app/*.py"]\nrequired = ["app/main.py"]\n',
        "solution/app/__init__.py": "",
        "solution/app/main.py": (
            "import sys\nfrom fastapi import FastAPI, Request\n"
            "print('APP-STARTUP-BANNER', flush=True)\n"
            "app = FastAPI()\n\n"
            "@app.post('/echo')\n"
            "async def echo(request: Request) -> dict:\n"
            "    body = (await request.body()).decode()\n"
            "    print('echo:', body)\n"
            "    print('err:', body, file=sys.stderr)\n"
            "    return {'got': body}\n"
        ),
        "starter/app/__init__.py": "",
        "starter/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "tests/test_http_hidden.py": (
            f"def test_hidden(client):\n"
            f"    assert client.post('/echo', content='{SECRET}').json() == {{'got': '{SECRET}'}}\n"
        ),
        "public_tests/test_http_public.py": (
            "def test_public(client):\n"
            "    assert client.post('/echo', content='PUBLIC-VALUE').status_code == 200\n"
        ),
    },
}
STARTUP = {"python": "IMPORT-BANNER", "http-app": "APP-STARTUP-BANNER"}


def _write_pack(root: Path, files: dict[str, str]) -> ExercisePack:
    manifest = files["exercise.toml"]
    category = "security" if 'category = "security"' in manifest else "api-design"
    slug = manifest.split('"')[1]
    folder = root / category / slug
    for name, text in {**files, "README.md": "# Output policy probe\n"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / "mutants").mkdir(exist_ok=True)
    return load_pack(folder)


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> dict[str, ExercisePack]:
    root = tmp_path_factory.mktemp("output-policy-packs")
    built = {runner: _write_pack(root, files) for runner, files in PACKS.items()}
    for pack in built.values():
        ensure_image(pack, settings)
    return built


def with_policy(pack: ExercisePack, policy: str) -> ExercisePack:
    """The same pack (and image) under another output policy."""
    scoring = pack.manifest.scoring.model_copy(update={"output": policy})
    return dataclasses.replace(pack, manifest=pack.manifest.model_copy(update={"scoring": scoring}))


def solution_files(pack: ExercisePack) -> dict[str, str]:
    return {p.relative_to(pack.solution).as_posix(): p.read_text()
            for p in pack.solution.rglob("*.py")}


Grade = Callable[[str, str], Report]


@pytest.fixture
def grade(packs: dict[str, ExercisePack], settings: Settings) -> Grade:
    def run(runner: str, policy: str) -> Report:
        pack = with_policy(packs[runner], policy)
        return grade_files(pack=pack, files=solution_files(pack), settings=settings)

    return run


@pytest.mark.parametrize("runner", ["python", "http-app"])
@pytest.mark.parametrize("policy", ["public", "full", "none"])
def test_output_policy_in_the_sandbox(grade: Grade, runner: str, policy: str) -> None:
    report = grade(runner, policy)
    assert report.status is Status.PASSED, report
    for line in (STARTUP[runner], "echo: PUBLIC-VALUE", f"echo: {SECRET}", f"err: {SECRET}"):
        assert line in report.author_output
    if policy == "none":
        assert report.output == ""
    elif policy == "full":
        assert f"echo: {SECRET}" in report.output and f"err: {SECRET}" in report.output
    else:
        assert STARTUP[runner] in report.output and "echo: PUBLIC-VALUE" in report.output
        assert SECRET not in report.output
        assert all(SECRET not in (t.message or "") for t in report.tests)
