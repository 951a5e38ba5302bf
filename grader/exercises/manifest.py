"""The exercise manifest (`exercise.toml`): its schema and a pure validator.

Validation never touches Docker or the network; a bad pack gets a
ManifestError naming the file and the field.
"""

from __future__ import annotations

import enum
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.functional_validators import BeforeValidator

from grader_harness import runners
from grader_harness.app_env import check_env
from grader_harness.runners import RUNNERS, RunnerSpec
from sandbox.limits import SandboxLimits

SLUG_RE = r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$"


class Category(enum.StrEnum):
    API_DESIGN = "api-design"
    SQL_OPTIMIZATION = "sql-optimization"
    SECURITY = "security"


class Difficulty(enum.StrEnum):
    INTRO = "intro"
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Runner(enum.StrEnum):
    """The manifest's `runner`: one member per entry of grader_harness.runners."""

    HTTP_APP = runners.HTTP_APP.name
    PYTHON = runners.PYTHON.name
    SQL = runners.SQL.name

    @property
    def spec(self) -> RunnerSpec:
        """What the runner needs (its module, the sandbox's extras)."""
        return RUNNERS[self.value]


class ManifestError(ValueError):
    """A pack that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_relative(pattern: str) -> str:
    p = PurePosixPath(pattern)
    if p.is_absolute() or ".." in p.parts or "\\" in pattern or not pattern.strip():
        raise ValueError(f"{pattern!r} must be a relative path inside the submission")
    return pattern


class SubmissionRules(_Strict):
    """The `[submission]` table: which files a student may send."""

    # File names or globs ("app/*.py") a student may submit.
    files: Annotated[list[str], Field(min_length=1)]
    # Names (not globs) that must be present.
    required: list[str] = []
    max_files: Annotated[int, Field(ge=1, le=200)] = 20
    max_bytes: Annotated[int, Field(ge=1, le=2_000_000)] = 256_000

    @field_validator("files", "required")
    @classmethod
    def _relative(cls, value: list[str]) -> list[str]:
        return [_check_relative(v) for v in value]

    @model_validator(mode="after")
    def _required_allowed(self) -> SubmissionRules:
        for name in self.required:
            if not allows(self.files, name):
                raise ValueError(f"required file {name!r} is not matched by any entry of 'files'")
        return self


class ManifestLimits(_Strict):
    """The `[limits]` table, as the author wrote it; the server caps each one."""

    wall_seconds: Annotated[float, Field(gt=0, le=600)] = 30
    memory_mb: Annotated[int, Field(ge=32, le=16_384)] = 512
    cpus: Annotated[float, Field(gt=0, le=16)] = 1.0
    processes: Annotated[int, Field(ge=8, le=4096)] = 256
    output_kb: Annotated[int, Field(ge=1, le=65_536)] = 1024
    call_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 10

    def for_sandbox(self, caps: SandboxLimits) -> SandboxLimits:
        """The limits the sandbox enforces: each of these, capped by the server's."""
        return SandboxLimits(**self.model_dump()).capped(caps)


class Scoring(_Strict):
    hidden_messages: Literal["none", "author", "full"] = "author"
    # How much of the student code's own stdout/stderr the student sees:
    # "public" what it printed while starting and during public tests (never
    # after a hidden test's input reached it), "full" all, "none" nothing.
    # Authors always see all of it (docs/authoring.md, section 5).
    output: Literal["public", "full", "none"] = "public"
    # The starter normally must not get full marks; some exercises (a
    # "make it faster" task) start from a correct but poor solution.
    starter_may_pass: bool = False


class HttpAppOptions(_Strict):
    app: str = "app.main:app"  # module:attribute of the ASGI app
    # The student's app's environment only (rules: grader_harness.app_env).
    env: Annotated[dict[str, str], BeforeValidator(check_env)] = {}

    @field_validator("app")
    @classmethod
    def _module_attr(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise ValueError(f"{value!r} is not 'module:attribute'")
        return value


class PythonOptions(_Strict):
    module: str  # the module tests call through the proxy, e.g. "passwords"

    @field_validator("module")
    @classmethod
    def _module(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*", value):
            raise ValueError(f"{value!r} is not a module name")
        return value


class SqlOptions(_Strict):
    """The sql runner (docs/authoring.md section 13)."""

    # data/<name>.sql each, loaded after data/schema.sql into its own schema;
    # "main" is the default dataset of the tests' calls.
    datasets: Annotated[list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]],
                        Field(min_length=1, max_length=4)] = ["main"]  # fmt: skip
    # Submitted files of CREATE INDEX statements, applied to every dataset
    # before the first test (the reference solution's are built into the image).
    index_files: list[str] = []
    # Statements allowed per index file: "no scattershot indexes".
    max_indexes: Annotated[int, Field(ge=0, le=50)] = 5

    @field_validator("datasets")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("dataset names must be unique")
        if any(name.startswith("reference_") for name in value):
            raise ValueError("dataset names must not start with 'reference_' (the runner's)")
        return value

    @field_validator("index_files")
    @classmethod
    def _relative(cls, value: list[str]) -> list[str]:
        return [_check_relative(v) for v in value]


class Manifest(_Strict):
    slug: Annotated[str, Field(pattern=SLUG_RE)]
    title: Annotated[str, Field(min_length=3, max_length=120)]
    category: Category
    difficulty: Difficulty
    runner: Runner
    submission: SubmissionRules
    limits: ManifestLimits = ManifestLimits()
    scoring: Scoring = Scoring()
    http_app: HttpAppOptions | None = None
    python: PythonOptions | None = None
    sql: SqlOptions | None = None

    @model_validator(mode="after")
    def _runner_options(self) -> Manifest:
        if self.runner is Runner.PYTHON and self.python is None:
            raise ValueError("runner 'python' needs a [python] table with 'module'")
        for name in (self.sql.index_files if self.sql else []):
            if not allows(self.submission.files, name):
                raise ValueError(f"sql.index_files: {name!r} is not matched by submission.files")
        return self

    def runner_options(self) -> dict[str, Any]:
        if self.runner is Runner.HTTP_APP:
            return (self.http_app or HttpAppOptions()).model_dump()
        if self.runner is Runner.PYTHON:
            assert self.python is not None
            return self.python.model_dump()
        return (self.sql or SqlOptions()).model_dump()


class MutantSpec(_Strict):
    description: str = ""
    # Test names (function names) or ids ("test_api.py::test_x") this mutant must fail.
    must_fail: Annotated[list[str], Field(min_length=1)]


def allows(patterns: list[str], name: str) -> bool:
    """Whether a submitted path matches one of the manifest's names or globs."""
    path = PurePosixPath(name)
    return any(path.match(p) and len(path.parts) == len(PurePosixPath(p).parts) for p in patterns)


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        problems.append(f"field '{where}': {msg}")
    return problems


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(path, ["file is missing"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(path, [f"not valid TOML: {exc}"]) from None


def parse_manifest(path: Path) -> Manifest:
    try:
        return Manifest.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise ManifestError(path, _describe(exc)) from None


def parse_mutant_spec(path: Path) -> MutantSpec:
    try:
        return MutantSpec.model_validate(_read_toml(path))
    except ValidationError as exc:
        raise ManifestError(path, _describe(exc)) from None
