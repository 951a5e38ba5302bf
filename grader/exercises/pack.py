"""An exercise pack on disk: `exercises/<category>/<slug>/`.

load_pack() validates the folder as a whole (manifest, required folders,
solution files, mutants: grader.exercises.mutants) and returns an
ExercisePack; discover() finds packs below folders. Pure file I/O, no Docker.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.exercises.manifest import Manifest, ManifestError, parse_manifest
from grader.exercises.mutants import MUTANT_SPEC, Mutant, load_mutants
from grader.exercises.submission import SubmissionError, read_submission

__all__ = [
    "MANIFEST", "MUTANT_SPEC", "README_MISSING", "ExercisePack", "Mutant", "UnknownPack",
    "content_hash", "discover", "load_pack", "pack_files", "pack_folder",
]  # fmt: skip

MANIFEST = "exercise.toml"
README_MISSING = "README.md (the prompt students read) is missing"
# Never part of an exercise's identity: caches and editor droppings.
_IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".DS_Store"}


@dataclass(frozen=True)
class ExercisePack:
    path: Path
    manifest: Manifest
    mutants: tuple[Mutant, ...]
    content_hash: str

    @property
    def slug(self) -> str:
        return self.manifest.slug

    @property
    def readme(self) -> Path:
        return self.path / "README.md"

    @property
    def starter(self) -> Path:
        return self.path / "starter"

    @property
    def solution(self) -> Path:
        return self.path / "solution"

    @property
    def tests(self) -> Path:
        return self.path / "tests"

    @property
    def public_tests(self) -> Path:
        return self.path / "public_tests"

    @property
    def data(self) -> Path:
        return self.path / "data"


def pack_files(root: Path) -> list[Path]:
    """Every file of a folder that counts, sorted, caches left out."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not _IGNORED_PARTS.intersection(p.relative_to(root).parts)
        and p.suffix != ".pyc"
    )


def content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in pack_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def load_pack(path: Path) -> ExercisePack:
    path = path.resolve()
    manifest = parse_manifest(path / MANIFEST)
    problems: list[str] = []
    if path.name != manifest.slug:
        problems.append(
            f"field 'slug': {manifest.slug!r} differs from the folder name {path.name!r}"
        )
    if path.parent.name != manifest.category.value:
        problems.append(
            f"field 'category': {manifest.category.value!r} differs from the parent folder "
            f"{path.parent.name!r}"
        )
    if not (path / "README.md").is_file():
        problems.append(README_MISSING)
    for folder in ("starter", "solution", "tests"):
        if not (path / folder).is_dir():
            problems.append(f"folder '{folder}/' is missing")
    if (path / "tests").is_dir() and not any((path / "tests").rglob("test_*.py")):
        problems.append("folder 'tests/' has no test_*.py file")
    if problems:
        raise ManifestError(path / MANIFEST, problems)

    submissions = {}
    for folder in ("solution", "starter"):
        try:
            submissions[folder] = read_submission(path / folder, manifest.submission)
        except SubmissionError as exc:
            raise ManifestError(path / folder, [str(exc)]) from None

    # Folder mutants and patch mutants (applied to the solution in memory).
    mutants = load_mutants(path, manifest, submissions["solution"])
    return ExercisePack(
        path=path, manifest=manifest, mutants=mutants, content_hash=content_hash(path)
    )


def discover(roots: list[Path]) -> list[Path]:
    """Pack folders at or below each root (a folder holding exercise.toml)."""
    found: list[Path] = []
    for root in roots:
        if (root / MANIFEST).is_file():
            found.append(root.resolve())
        elif root.is_dir():
            found.extend(sorted(p.parent.resolve() for p in root.rglob(MANIFEST)
                                if "mutants" not in p.relative_to(root).parts))
        else:
            raise ManifestError(root, ["no such folder"])
    return sorted(set(found))


class UnknownPack(LookupError):
    """No pack below the root has this slug; the message suggests the closest."""


def pack_folder(slug: str, root: Path) -> Path:
    """The folder of the pack `slug` below `root`, found without loading it."""
    folders = {p.name: p for p in discover([root])} if root.is_dir() else {}
    if slug not in folders:
        close = difflib.get_close_matches(slug, list(folders), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        known = f" (known: {', '.join(sorted(folders))})" if folders and not close else ""
        raise UnknownPack(f"no exercise '{slug}' under {root}{hint}{known}")
    return folders[slug]
