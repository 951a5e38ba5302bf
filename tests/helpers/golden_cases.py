"""Golden cases of the harness: one folder per scenario under tests/harness/golden/.

    golden/<case>/tests/          hidden tests
    golden/<case>/public_tests/   public tests (optional)
    golden/<case>/data/           the exercise's data (optional)
    golden/<case>/submission/     the student's files
    golden/<case>/config.json     HarnessConfig fields
    golden/<case>/expected.json   the report, normalised (see normalise())
    golden/<case>/output_contains.txt   optional: lines the report's author_output
                                        (all of the student's output) must hold

tests/harness/test_golden.py runs each case on the host (--no-drop); a test through the
real sandbox image can reuse load_case() and normalise() unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader_harness.protocol import GradingRequest, HarnessConfig

CASES_DIR = Path(__file__).resolve().parents[1] / "harness" / "golden"


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES_DIR.iterdir() if (p / "config.json").is_file())


def _files(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def load_case(path: Path) -> tuple[HarnessConfig, dict[str, str], dict[str, Any] | None]:
    """(config, student files, expected normalised report or None if not yet recorded)."""
    config = HarnessConfig(**json.loads((path / "config.json").read_text(encoding="utf-8")))
    recorded = path / "expected.json"
    expected = json.loads(recorded.read_text(encoding="utf-8")) if recorded.is_file() else None
    return config, _files(path / "submission"), expected


def request_json(config: HarnessConfig, files: dict[str, str]) -> str:
    return GradingRequest(config=config, files=files).to_json()


def output_lines(path: Path) -> list[str]:
    wanted = path / "output_contains.txt"
    return wanted.read_text(encoding="utf-8").splitlines() if wanted.is_file() else []


def normalise(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what changes from run to run: durations and output."""
    result = dict(report, duration=0.0, output="", author_output="")
    result["tests"] = [dict(test, duration=0.0, author_output="") for test in report["tests"]]
    return result


def write_expected(path: Path, report: dict[str, Any]) -> None:
    text = json.dumps(normalise(report), indent=2, ensure_ascii=False) + "\n"
    (path / "expected.json").write_text(text, encoding="utf-8")
