"""`[http_app] env` in exercise.toml: hostile values give an error naming the
file and the field, never a traceback; a good table reaches the harness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.exercises.manifest import ManifestError, parse_manifest
from grader_harness.app_env import MAX_ENTRIES, MAX_VALUE_CHARS

HEAD = """\
slug = "env-demo"
title = "Env demo"
category = "security"
difficulty = "easy"
runner = "http-app"

[submission]
files = ["app/*.py"]

"""


def write(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "exercise.toml"
    path.write_text(HEAD + table, encoding="utf-8")
    return path


def error(tmp_path: Path, table: str) -> str:
    path = write(tmp_path, table)
    with pytest.raises(ManifestError) as raised:
        parse_manifest(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: ")
    assert "field 'http_app.env" in text, text
    assert "Traceback" not in text
    return text


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string with \\u escapes is a TOML basic string


def test_a_good_env_reaches_the_runner_options(tmp_path: Path) -> None:
    path = write(tmp_path, '[http_app]\nenv = { LOCKOUT_SECONDS = "300", _X_1 = "" }\n')
    options = parse_manifest(path).runner_options()
    assert options == {"app": "app.main:app", "env": {"LOCKOUT_SECONDS": "300", "_X_1": ""}}


def test_no_env_is_an_empty_one(tmp_path: Path) -> None:
    assert parse_manifest(write(tmp_path, "")).runner_options()["env"] == {}


@pytest.mark.parametrize("name", ["PATH", "HOME", "PYTHONPATH", "PYTHONSTARTUP", "LD_PRELOAD",
                                  "LD_LIBRARY_PATH", "GRADER_SECRET", "UVICORN_PORT"])
def test_names_of_the_harness_and_python_are_refused(tmp_path: Path, name: str) -> None:
    text = error(tmp_path, f'[http_app.env]\n{name} = "x"\n')
    assert f"'{name}'" in text and "reserved" in text


@pytest.mark.parametrize("name", ["A=B", "lower", "1ABC", "A B", "A\\u0000B", "É", "",
                                  "A" * 65, "-X"])
def test_malformed_names_are_refused(tmp_path: Path, name: str) -> None:
    text = error(tmp_path, f"[http_app.env]\n{toml_string(name)} = \"x\"\n")
    assert "is not allowed" in text


def test_a_nul_in_a_value_is_refused(tmp_path: Path) -> None:
    text = error(tmp_path, '[http_app.env]\nX = "a\\u0000b"\n')
    assert "X: the value must not contain a NUL" in text


def test_a_huge_value_is_refused_without_being_quoted(tmp_path: Path) -> None:
    text = error(tmp_path, f'[http_app.env]\nX = "{"v" * 1_000_000}"\n')
    assert f"at most {MAX_VALUE_CHARS}" in text and len(text) < 600


def test_the_longest_value_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, f'[http_app.env]\nX = "{"v" * MAX_VALUE_CHARS}"\n')
    assert len(parse_manifest(path).runner_options()["env"]["X"]) == MAX_VALUE_CHARS


def test_ten_thousand_entries_give_one_short_error(tmp_path: Path) -> None:
    entries = "".join(f'V{i} = "x"\n' for i in range(10_000))
    text = error(tmp_path, "[http_app.env]\n" + entries)
    assert f"has 10000 entries; at most {MAX_ENTRIES}" in text and len(text) < 600


def test_thirty_two_entries_are_fine(tmp_path: Path) -> None:
    entries = "".join(f'V{i} = "x"\n' for i in range(MAX_ENTRIES))
    path = write(tmp_path, "[http_app.env]\n" + entries)
    assert len(parse_manifest(path).runner_options()["env"]) == MAX_ENTRIES


@pytest.mark.parametrize("table", ['[http_app]\nenv = "A=1"\n', "[http_app.env]\nX = 1\n",
                                   "[http_app.env]\nX = [\"a\"]\n",
                                   "[http_app.env.X]\nY = \"a\"\n"])
def test_wrong_types_are_refused(tmp_path: Path, table: str) -> None:
    text = error(tmp_path, table)
    assert "must be a" in text


def test_a_long_hostile_name_is_cut_in_the_message(tmp_path: Path) -> None:
    text = error(tmp_path, f'[http_app.env]\n"{"="* 5000}" = "x"\n')
    assert len(text) < 600
