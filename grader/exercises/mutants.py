"""A pack's mutants, in either of two forms, and turning one form into the other.

- a patch, `mutants/<name>.patch`: `mutant.toml`'s TOML, then a unified diff
  against `solution/` (grader.exercises.patches), applied in memory;
- a folder, `mutants/<name>/`: a complete submission plus `mutant.toml`.

load_mutants() reads both into the same Mutant (its files are what is
graded). new_folder(), patch_to_folder() and folder_to_patch() back
`grader exercises mutant new|edit|save`.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from grader.exercises.manifest import (
    Manifest,
    ManifestError,
    MutantSpec,
    _describe,
    parse_manifest,
    parse_mutant_spec,
)
from grader.exercises.patches import PatchError, apply_patch, make_patch, split_header
from grader.exercises.submission import SubmissionError, check_files, read_submission

MUTANT_SPEC = "mutant.toml"
PATCH_SUFFIX = ".patch"
_IGNORED = {"__pycache__", ".DS_Store"}
_NAME_MAX = 100
_NAME_RE = re.compile(rf"\w[\w.-]{{0,{_NAME_MAX - 1}}}", re.ASCII)  # \w: [A-Za-z0-9_]
SPEC_TEMPLATE = """\
description = ""  # the mistake, in one sentence
must_fail = []  # the tests this mutant must fail, e.g. ["test_x"]
"""


@dataclass(frozen=True)
class Mutant:
    name: str
    path: Path  # the folder, or the .patch file
    spec: MutantSpec
    # The submission graded: the folder's files, or solution/ with the patch applied.
    files: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


def parse_patch_spec(path: Path, text: str) -> MutantSpec:
    header = split_header(text)[0]
    try:
        return MutantSpec.model_validate(tomllib.loads(header))
    except tomllib.TOMLDecodeError as exc:
        problem = f"the metadata before the diff is not valid TOML: {exc}"
        raise ManifestError(path, [problem]) from None
    except ValidationError as exc:
        raise ManifestError(path, _describe(exc)) from None


def load_patch(
    path: Path, manifest: Manifest, solution: dict[str, str], text: str | None = None
) -> Mutant:
    """The mutant of a .patch file (or of `text`, to be written there)."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ManifestError(path, ["not UTF-8 text"]) from None
    spec = parse_patch_spec(path, text)
    name = path.name.removesuffix(PATCH_SUFFIX)
    try:
        files = check_files(apply_patch(solution, text), manifest.submission)
    except PatchError as exc:
        raise ManifestError(path, [f"mutant '{name}' does not apply to solution/: {exc}"]) from None
    except SubmissionError as exc:
        raise ManifestError(path, [f"mutant '{name}': {exc}"]) from None
    if files == solution:
        raise ManifestError(path, [f"mutant '{name}' is the reference solution"])
    return Mutant(name=name, path=path, spec=spec, files=files)


def load_folder(path: Path, manifest: Manifest) -> Mutant:
    spec = parse_mutant_spec(path / MUTANT_SPEC)
    try:
        files = read_submission(path, manifest.submission, ignore=(MUTANT_SPEC,))
    except SubmissionError as exc:
        raise ManifestError(path, [str(exc)]) from None
    return Mutant(name=path.name, path=path, spec=spec, files=files)


def load_mutants(pack: Path, manifest: Manifest, solution: dict[str, str]) -> tuple[Mutant, ...]:
    """Every mutant below pack/mutants/, sorted by name; ManifestError if one is broken."""
    folder = pack / "mutants"
    mutants: dict[str, Mutant] = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.name in _IGNORED:
            continue
        if entry.is_dir():
            mutant = load_folder(entry, manifest)
        elif entry.suffix == PATCH_SUFFIX:
            mutant = load_patch(entry, manifest, solution)
        else:
            raise ManifestError(entry, ["mutants/ holds <name>/ folders and <name>.patch "
                                        "files only"])
        if mutant.name in mutants:
            raise ManifestError(entry, [f"mutant '{mutant.name}' is both a folder and a patch"])
        mutants[mutant.name] = mutant
    return tuple(mutants[name] for name in sorted(mutants))


def _solution(pack: Path) -> tuple[Manifest, dict[str, str]]:
    manifest = parse_manifest(pack / "exercise.toml")
    try:
        return manifest, read_submission(pack / "solution", manifest.submission)
    except SubmissionError as exc:
        raise ManifestError(pack / "solution", [str(exc)]) from None


def _free(pack: Path, name: str) -> None:
    for taken in (pack / "mutants" / name, pack / "mutants" / f"{name}{PATCH_SUFFIX}"):
        if taken.exists():
            raise ManifestError(taken, [f"mutant '{name}' exists already"])


def check_name(pack: Path, name: str) -> None:
    """The one rule for a NAME given to `mutant new|edit|save`: a plain file name
    inside mutants/ (no separator, no leading dot or dash, nothing unprintable),
    short enough for `<name>.patch` on any file system."""
    if not _NAME_RE.fullmatch(name) or name.endswith(PATCH_SUFFIX):
        raise ManifestError(pack / "mutants", [
            f"bad mutant name {name!r}: use ASCII letters, digits, '-', '_' and '.', at most "
            f"{_NAME_MAX} characters, not starting with '.' or '-' and without the "
            f"{PATCH_SUFFIX} suffix (e.g. off-by-one-cursor)"])  # fmt: skip


def new_folder(pack: Path, name: str) -> Path:
    """mutants/<name>/: a copy of solution/ and a mutant.toml to fill in."""
    check_name(pack, name)
    _free(pack, name)
    target = pack / "mutants" / name
    shutil.copytree(pack / "solution", target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / MUTANT_SPEC).write_text(SPEC_TEMPLATE, encoding="utf-8")
    return target


def patch_to_folder(pack: Path, name: str) -> Path:
    """mutants/<name>.patch back into mutants/<name>/ to edit; removes the patch."""
    check_name(pack, name)
    patch = pack / "mutants" / f"{name}{PATCH_SUFFIX}"
    if not patch.is_file():
        raise ManifestError(patch, [f"no patch mutant '{name}'"])
    manifest, solution = _solution(pack)
    mutant = load_patch(patch, manifest, solution)
    target = pack / "mutants" / name
    if target.exists():
        raise ManifestError(target, [f"mutant '{name}' is both a folder and a patch"])
    for rel, text in mutant.files.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, encoding="utf-8")
    header = split_header(patch.read_text(encoding="utf-8"))[0].rstrip("\n")
    (target / MUTANT_SPEC).write_text(header + "\n", encoding="utf-8")
    patch.unlink()
    return target


def folder_to_patch(pack: Path, name: str) -> Path:
    """mutants/<name>/ into mutants/<name>.patch; removes the folder once the
    patch is proven to give back exactly the folder's files."""
    check_name(pack, name)
    folder = pack / "mutants" / name
    if not (folder / MUTANT_SPEC).is_file():
        raise ManifestError(folder / MUTANT_SPEC, [f"no folder mutant '{name}'"])
    manifest, solution = _solution(pack)
    mutant = load_folder(folder, manifest)
    header = (folder / MUTANT_SPEC).read_text(encoding="utf-8").rstrip("\n")
    target = folder.with_name(f"{name}{PATCH_SUFFIX}")
    if target.exists():
        raise ManifestError(target, [f"mutant '{name}' is both a folder and a patch"])
    if mutant.files == solution:
        raise ManifestError(folder, [f"mutant '{name}' is still the solution: edit it first"])
    text = header + "\n\n" + make_patch(solution, mutant.files)
    if load_patch(target, manifest, solution, text).files != mutant.files:
        raise ManifestError(folder, ["the patch does not give back the folder's files"])
    target.write_text(text, encoding="utf-8")
    shutil.rmtree(folder)
    return target

