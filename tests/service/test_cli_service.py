"""`grader users add`, `grader tokens create` and settings errors, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from grader.cli.main import app
from grader.db import Database
from grader.services import accounts
from grader.settings import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield app
    get_settings.cache_clear()


def test_users_and_tokens(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "kim", "--role", "author"])
    assert added.exit_code == 0, added.output
    assert "added kim (author)" in added.output
    again = runner.invoke(cli, ["users", "add", "kim"])
    assert again.exit_code == 2 and "user 'kim' already exists" in again.output
    made = runner.invoke(cli, ["tokens", "create", "kim"])
    assert made.exit_code == 0
    token = made.output.strip().splitlines()[-1]
    user = accounts.user_for_token(db=Database(f"sqlite:///{tmp_path / 'grader.db'}"),
                                   token=token)
    assert user is not None and user.name == "kim"
    missing = runner.invoke(cli, ["tokens", "create", "nobody"])
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output
    bad_role = runner.invoke(cli, ["users", "add", "x", "--role", "wizard"])
    assert bad_role.exit_code == 2


def test_hostile_names_are_quoted_not_rendered(cli: typer.Typer) -> None:
    """A name that is rich markup comes back verbatim in one error line: not a
    markup error's traceback, not a name with its brackets eaten."""
    runner = CliRunner()
    closing = runner.invoke(cli, ["users", "add", "[/x]"])
    assert closing.exit_code == 2, closing.output
    assert "user name '[/x]': use 1-64 letters" in closing.output
    assert "Traceback" not in closing.output
    styled = runner.invoke(cli, ["tokens", "create", "[bold]nobody"])
    assert styled.exit_code == 2 and "no user '[bold]nobody'" in styled.output
    huge = runner.invoke(cli, ["users", "add", "a" * 10_000])
    assert huge.exit_code == 2 and "use 1-64 letters" in huge.output


def test_production_without_a_secret_is_one_clear_line(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_ENVIRONMENT", "production")
    result = CliRunner().invoke(cli, ["users", "add", "kim"])
    assert result.exit_code == 2
    assert "bad settings: GRADER_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
