"""The sql runner's options: the manifest's [sql] table and the harness's second check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.exercises.manifest import ManifestError, parse_manifest
from grader_harness.errors import BadRequest
from grader_harness.request import parse_request

BASE = """
slug = "demo-sql"
title = "Demo"
category = "sql-optimization"
difficulty = "easy"
runner = "sql"

[submission]
files = ["query.sql", "indexes.sql"]
"""


def manifest(tmp_path: Path, sql_table: str) -> Path:
    path = tmp_path / "exercise.toml"
    path.write_text(BASE + sql_table, encoding="utf-8")
    return path


def test_defaults_and_options_reach_the_harness(tmp_path: Path) -> None:
    assert parse_manifest(manifest(tmp_path, "")).runner_options() == {
        "datasets": ["main"], "index_files": [], "max_indexes": 5}
    table = '[sql]\ndatasets = ["main", "alt"]\nindex_files = ["indexes.sql"]\nmax_indexes = 2\n'
    options = parse_manifest(manifest(tmp_path, table)).runner_options()
    assert options == {"datasets": ["main", "alt"], "index_files": ["indexes.sql"],
                       "max_indexes": 2}


@pytest.mark.parametrize(("table", "problem"), [
    ('[sql]\ndatasets = ["main", "main"]\n', "field 'sql.datasets': dataset names must be unique"),
    ('[sql]\ndatasets = ["Main"]\n', "field 'sql.datasets.0'"),
    ('[sql]\ndatasets = []\n', "field 'sql.datasets'"),
    ('[sql]\ndatasets = ["reference_x"]\n', "must not start with 'reference_'"),
    ('[sql]\nindex_files = ["other.sql"]\n', "'other.sql' is not matched by submission.files"),
    ('[sql]\nindex_files = ["../x.sql"]\n', "must be a relative path"),
    ('[sql]\nmax_indexes = 99\n', "field 'sql.max_indexes'"),
    ('[sql]\nqueries = ["query.sql"]\n', "field 'sql.queries': unknown field"),
])
def test_bad_tables_name_file_and_field(tmp_path: Path, table: str, problem: str) -> None:
    path = manifest(tmp_path, table)
    with pytest.raises(ManifestError) as caught:
        parse_manifest(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


def request(options: object) -> bytes:
    config = {"runner": "sql", "options": options}
    return json.dumps({"version": 1, "config": config, "files": {}}).encode()


def test_harness_accepts_good_options() -> None:
    parsed = parse_request(request({"datasets": ["main", "alt"], "index_files": ["i.sql"]}))
    assert parsed.config.runner == "sql"


@pytest.mark.parametrize(("options", "problem"), [
    ({"datasets": "main"}, "options.datasets"),
    ({"datasets": ["a; DROP"]}, "options.datasets"),
    ({"index_files": "i.sql"}, "options.index_files"),
    ({"max_indexes": True}, "options.max_indexes"),
    ({"max_indexes": 51}, "options.max_indexes"),
])
def test_harness_refuses_bad_options(options: object, problem: str) -> None:
    with pytest.raises(BadRequest, match=problem):
        parse_request(request(options))
