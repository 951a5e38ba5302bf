"""Checking a set of student files against the manifest's `[submission]` table.

check_files() is pure (the API validates uploads with it); read_submission()
reads a local folder (the CLI, the self-test) and then checks it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from grader.exercises.manifest import SubmissionRules, allows


class SubmissionError(ValueError):
    """Files a student may not submit; the message names the file and the rule."""


def check_path(name: str) -> str:
    path = PurePosixPath(name)
    if not name or name != name.strip():
        raise SubmissionError(f"file name {name!r} is empty or has surrounding spaces")
    if path.is_absolute() or name.startswith("/"):
        raise SubmissionError(f"file {name!r}: absolute paths are not allowed")
    if ".." in path.parts or "\\" in name or "\0" in name:
        raise SubmissionError(f"file {name!r}: '..', backslashes and NUL are not allowed")
    return path.as_posix()


def check_files(files: dict[str, str], rules: SubmissionRules) -> dict[str, str]:
    """Validate a submission and return it with normalised names."""
    if len(files) > rules.max_files:
        raise SubmissionError(f"{len(files)} files submitted; the limit is {rules.max_files}")
    normalised: dict[str, str] = {}
    total = 0
    for name, text in files.items():
        clean = check_path(name)
        if not allows(rules.files, clean):
            allowed = ", ".join(rules.files)
            raise SubmissionError(f"file {clean!r} is not allowed here (allowed: {allowed})")
        total += len(text.encode("utf-8"))
        normalised[clean] = text
    if total > rules.max_bytes:
        raise SubmissionError(f"{total} bytes submitted; the limit is {rules.max_bytes}")
    missing = [name for name in rules.required if name not in normalised]
    if missing:
        raise SubmissionError(f"required file {missing[0]!r} is missing")
    return normalised


def read_submission(
    folder: Path, rules: SubmissionRules, *, ignore: tuple[str, ...] = ()
) -> dict[str, str]:
    """Read every file below a folder as UTF-8 text and check it."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or rel in ignore or "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise SubmissionError(f"file {rel!r} is not UTF-8 text") from None
    return check_files(files, rules)
