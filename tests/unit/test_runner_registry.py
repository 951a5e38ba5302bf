"""One registry of runners (grader_harness/runners.py), read by host and harness."""

from __future__ import annotations

import json

import pytest

from grader.exercises.manifest import Runner
from grader_harness.__main__ import parse_args
from grader_harness.protocol import GradingRequest, HarnessConfig
from grader_harness.runners import RUNNERS, SQL, find_runner
from sandbox.container import DATABASE_TMPFS, container_settings
from sandbox.limits import SandboxLimits


def test_the_manifest_offers_exactly_the_registered_runners() -> None:
    assert [runner.value for runner in Runner] == list(RUNNERS)
    assert all(runner.spec is RUNNERS[runner.value] for runner in Runner)
    assert Runner.SQL.spec is SQL


def test_only_registered_names_are_runners() -> None:
    assert find_runner("sql") is SQL
    for other in ("SQL", "", None, ["sql"], {"sql": 1}, 3):
        assert find_runner(other) is None


def test_a_request_for_an_unknown_runner_is_refused() -> None:
    for name in RUNNERS:
        document = GradingRequest(config=HarnessConfig(runner=name), files={}).to_json()
        assert GradingRequest.from_json(document).config.runner == name
    bad = json.dumps({"version": 1, "config": {"runner": "ruby"}, "files": {}})
    with pytest.raises(ValueError, match="unknown runner 'ruby'"):
        GradingRequest.from_json(bad)


def test_warm_accepts_every_registered_runner() -> None:
    for name in RUNNERS:
        assert parse_args(["--warm", name]).warm == name
    with pytest.raises(SystemExit):
        parse_args(["--warm", "ruby"])


@pytest.mark.parametrize("name", [*RUNNERS, "unknown", None])
def test_only_database_runners_get_the_database_tmpfs(name: str | None) -> None:
    tmpfs = container_settings(SandboxLimits(), "runc", runner=name)["tmpfs"]
    wanted = name is not None and name in RUNNERS and RUNNERS[name].database_tmpfs
    assert (DATABASE_TMPFS.items() <= tmpfs.items()) is wanted
