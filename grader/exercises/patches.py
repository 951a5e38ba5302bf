"""Unified diffs on a set of text files: make_patch() and a strict apply_patch().

A patch mutant is `mutants/<name>.patch`: its metadata (TOML) then a
unified diff against `solution/`. Pure: files are a dict of path -> text,
nothing is read or written. The applier is strict on purpose: paths are
`a/<file>` and `b/<file>` relative to the solution (or /dev/null to create
or delete a file), never absolute and never with `..`; every context and
removed line must match the file exactly where the hunk header says (no
offset, no fuzz), and the header's counts must match the hunk's lines.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

DEV_NULL = "/dev/null"
NO_NEWLINE = "\\ No newline at end of file"
# What `git diff` writes before ---/+++ that changes nothing here (no renames, no modes).
_GIT_HEADERS = ("diff ", "index ", "new file mode ", "deleted file mode ")
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """A patch that cannot be applied; names the file and the hunk when known."""

    def __init__(self, problem: str, *, file: str | None = None, hunk: str | None = None):
        where = (f"file '{file}'" if file else "") + (f", hunk {hunk}" if hunk else "")
        super().__init__(f"{where}: {problem}" if where else problem)
        self.file, self.hunk = file, hunk


@dataclass
class _Hunk:
    header: str
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: list[tuple[str, str]] = field(default_factory=list)  # (' '|'-'|'+', line with \n)


@dataclass
class _FilePatch:
    old: str | None  # None: created
    new: str | None  # None: deleted
    hunks: list[_Hunk] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """Lines with their "\\n"; only "\\n" ends a line (never \\r or \\f)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _path(raw: str, prefix: str) -> str | None:
    if raw.endswith("\r"):
        raise PatchError(f"path {raw!r}: the patch has CRLF line endings; save it with \\n only")
    if raw == DEV_NULL:
        return None
    if not raw.startswith(prefix):
        raise PatchError(f"path {raw!r} must start with '{prefix}' (or be {DEV_NULL})")
    name = raw[len(prefix):]
    parts = PurePosixPath(name).parts
    if (not name or name.startswith("/") or "\\" in name or "\0" in name or ".." in parts
            or "." in name.split("/") or "" in name.split("/") or name != name.strip()):
        raise PatchError(f"path {raw!r} must name a file inside solution/ ('..', absolute "
                         "paths, backslashes and empty parts are refused)")
    return name


def split_header(text: str) -> tuple[str, list[str]]:
    """The metadata before the diff, and the diff's lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(("--- ", "diff ")):
            return "\n".join(lines[:i]), lines[i:]
    return text, []


def parse_diff(lines: list[str], first: int = 1) -> list[_FilePatch]:
    """The diff's files and hunks; `first` is the number of its first line in the file."""
    patches: list[_FilePatch] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- "):
            if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
                raise PatchError(f"line {first + i}: '--- ' is not followed by '+++ '")
            old, new = _path(line[4:], "a/"), _path(lines[i + 1][4:], "b/")
            if (old is None and new is None) or (old and new and old != new):
                raise PatchError(f"line {first + i}: old and new paths must name the same file")
            patches.append(_FilePatch(old, new))
            i += 2
        elif line.startswith("@@") and patches:
            i = _read_hunk(lines, i, patches[-1])
        elif line.startswith(_GIT_HEADERS) or (not line and i == len(lines) - 1):
            i += 1  # git's extended headers; the final newline
        else:
            raise PatchError(f"line {first + i}: unexpected {line[:60]!r}")
    if not any(p.hunks for p in patches):
        raise PatchError("the patch changes nothing (no hunk)")
    return patches


def _read_hunk(lines: list[str], i: int, target: _FilePatch) -> int:
    match = _HUNK_RE.match(lines[i])
    name = target.new or target.old
    number = str(len(target.hunks) + 1)
    if not match:
        raise PatchError(f"bad hunk header {lines[i]!r}", file=name, hunk=number)
    a, b, c, d = match.groups()
    hunk = _Hunk(lines[i], int(a), int(b or 1), int(c), int(d or 1))
    olds = news = 0
    i += 1
    while olds < hunk.old_len or news < hunk.new_len:
        line = lines[i] if i < len(lines) else None
        kind, rest = (line[:1] or " ", line[1:]) if line is not None else ("?", "")
        if kind not in " -+" or (kind in " -" and olds >= hunk.old_len) or (
                kind in " +" and news >= hunk.new_len):
            raise PatchError(f"{hunk.header}: its lines do not match its counts",
                             file=name, hunk=number)
        olds += kind in " -"
        news += kind in " +"
        hunk.lines.append((kind, rest + "\n"))
        i += 1
        if i < len(lines) and lines[i] == NO_NEWLINE:
            hunk.lines[-1] = (kind, rest)
            i += 1
    target.hunks.append(hunk)
    return i


def _apply_file(old_text: str, patch: _FilePatch, name: str) -> str:
    old = split_lines(old_text)
    out: list[str] = []
    pos = 0  # lines of `old` consumed
    for number, hunk in enumerate(patch.hunks, start=1):
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        expected_new = len(out) + (start - pos) + (1 if hunk.new_len else 0)
        if start < pos or start > len(old) or hunk.new_start != expected_new:
            raise PatchError(f"{hunk.header}: out of order, overlapping or past the end",
                             file=name, hunk=str(number))
        out.extend(old[pos:start])
        pos = start
        for kind, text in hunk.lines:
            if kind in " -":
                if pos >= len(old) or old[pos] != text:
                    found = f"is {old[pos]!r}" if pos < len(old) else "is past the end"
                    raise PatchError(
                        f"{hunk.header}: line {pos + 1} {found}, the patch expects {text!r}",
                        file=name, hunk=str(number))
                pos += 1
            if kind in " +":
                out.append(text)
    return "".join(out + old[pos:])


def apply_patch(files: dict[str, str], text: str) -> dict[str, str]:
    """The files with the patch applied (a new dict); PatchError if it does not apply."""
    result = dict(files)
    touched: set[str] = set()
    lines = split_header(text)[1]
    for patch in parse_diff(lines, first=text.count("\n") + 2 - len(lines)):
        name = patch.new or patch.old
        assert name is not None
        if name in touched:
            raise PatchError("patched twice in one patch", file=name)
        touched.add(name)
        if patch.old is None and name in files:
            raise PatchError("the patch creates it, but solution/ has it", file=name)
        if patch.old is not None and name not in files:
            raise PatchError("no such file in solution/", file=name)
        new_text = _apply_file(files.get(name, ""), patch, name)
        if patch.new is None:
            if new_text:
                raise PatchError("deleted, but lines are left", file=name)
            del result[name]
        else:
            result[name] = new_text
    return result


def make_patch(old: dict[str, str], new: dict[str, str], *, context: int = 3) -> str:
    """A unified diff turning `old` into `new` that apply_patch() applies."""
    out: list[str] = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        diff = difflib.unified_diff(
            split_lines(old.get(name, "")), split_lines(new.get(name, "")),
            f"a/{name}" if name in old else DEV_NULL, f"b/{name}" if name in new else DEV_NULL,
            n=context)  # fmt: skip
        for line in diff:
            out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE + "\n")
    return "".join(out)
