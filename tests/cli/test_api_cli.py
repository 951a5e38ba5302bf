"""`grader api` picks uvicorn's fast HTTP parser and event loop (httptools,
uvloop: dependencies) unless told otherwise, and passes --http/--loop (or
GRADER_API_HTTP / GRADER_API_LOOP) through to uvicorn; the deadline-burst
bench compares with them (docs/service.md, "Deadline bursts")."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from grader.cli.main import app
from grader.settings import get_settings


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """uvicorn.run recorded instead of serving; settings in a temporary folder."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append(kw))
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRADER_DATABASE_URL", f"sqlite:///{tmp_path / 'grader.db'}")
    for name in ("GRADER_API_HTTP", "GRADER_API_LOOP", "GRADER_API_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()  # read from this environment, and not kept after
    yield calls
    get_settings.cache_clear()


def test_the_fast_parser_and_loop_are_installed() -> None:
    # "auto" only means them when they are importable: pyproject lists both.
    assert importlib.util.find_spec("httptools") is not None
    assert importlib.util.find_spec("uvloop") is not None


def test_auto_by_default(uvicorn_calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["api", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert [(c["http"], c["loop"], c["port"]) for c in uvicorn_calls] == [("auto", "auto", 8123)]


def test_options_and_environment_reach_uvicorn(uvicorn_calls: list[dict[str, Any]]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["api", "--http", "h11", "--loop", "asyncio"]).exit_code == 0
    result = runner.invoke(app, ["api", "--workers", "2"],
                           env={"GRADER_API_HTTP": "httptools", "GRADER_API_LOOP": "uvloop"})
    assert result.exit_code == 0, result.output
    assert [(c["http"], c["loop"], c.get("workers")) for c in uvicorn_calls] == [
        ("h11", "asyncio", None), ("httptools", "uvloop", 2)]


def test_an_unknown_parser_is_refused(uvicorn_calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(app, ["api", "--http", "fastest"])
    assert result.exit_code == 2
    assert uvicorn_calls == []
