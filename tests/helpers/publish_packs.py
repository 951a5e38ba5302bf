"""Small packs and archives for the publishing tests: a python-runner pack
(`add(a, b)`) that proves in the sandbox in a few seconds, a variant whose
mutant passes every test (must never be proven), and archive builders."""

from __future__ import annotations

import io
import subprocess
import tarfile
import zipfile
from pathlib import Path

from grader.exercises.archive import pack_archive

MANIFEST = """\
slug = "{slug}"
title = "Add numbers"
category = "security"
difficulty = "easy"
runner = "python"

[python]
module = "adder"

[submission]
files = ["adder.py"]
required = ["adder.py"]
"""
TESTS = """\
import pytest


@pytest.mark.points(1)
@pytest.mark.hint("adds small numbers")
def test_small(student):
    assert student.add(1, 2) == 3


@pytest.mark.points(1)
@pytest.mark.hint("adds negative numbers")
def test_negative(student):
    assert student.add(-{version}, 1) == 1 - {version}
"""
SOLUTION = "def add(a, b):\n    return a + b\n"
STARTER = "def add(a, b):\n    return 0\n"
# Right for positive numbers only: caught by test_negative...
MUTANT_CAUGHT = "def add(a, b):\n    return abs(a) + b\n"
# ...unless the mutant is the solution itself: passes everything, never proven.
MUTANT_PASSES = SOLUTION + "# same as the solution\n"


def write_pack(root: Path, slug: str = "adder", *, version: int = 1,
               mutant_passes: bool = False) -> Path:
    pack = root / "security" / slug
    files = {
        "exercise.toml": MANIFEST.format(slug=slug),
        "README.md": f"# Add\n\nWrite `add(a, b)` (version {version}).\n",
        "starter/adder.py": STARTER,
        "solution/adder.py": SOLUTION,
        "tests/test_adder.py": TESTS.format(version=version),
        "mutants/abs/adder.py": MUTANT_PASSES if mutant_passes else MUTANT_CAUGHT,
        "mutants/abs/mutant.toml": 'description = "abs of a"\nmust_fail = ["test_negative"]\n',
    }
    for name, text in files.items():
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text(text, encoding="utf-8")
    return pack


def pack_bytes(root: Path, slug: str = "adder", **options: object) -> bytes:
    return pack_archive(write_pack(root, slug, **options))  # type: ignore[arg-type]


def tar_gz(entries: list[tarfile.TarInfo], contents: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz of exactly these members (links, devices, ... as given)."""
    contents = contents or {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info in entries:
            data = contents.get(info.name)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def git_commit(repo: Path, message: str = "packs", tag: str | None = None) -> None:
    """`git init` (once) and commit everything in `repo`, optionally tagged."""
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    steps = [] if (repo / ".git").exists() else [["init", "-q", "-b", "main"]]
    steps += [["add", "-A"], ["commit", "-q", "-m", message]]
    steps += [["tag", tag]] if tag else []
    for step in steps:
        subprocess.run(git + step, check=True, capture_output=True)
