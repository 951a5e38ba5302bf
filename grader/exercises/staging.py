"""An uploaded pack's files -> a loaded pack in a work folder, checked like
`grader exercises lint` checks a folder: every error at once, each naming the
file, the line and the field (relative to the pack, as the author wrote it).

The pack is laid out as `<root>/<category>/<slug>/`, the shape load_pack
requires, so an upload is loaded by exactly the code that loads the catalogue.
"""

from __future__ import annotations

from pathlib import Path

from grader.exercises.archive import ArchiveError, write_files
from grader.exercises.findings import Severity
from grader.exercises.lint import lint_pack
from grader.exercises.manifest import ManifestError, parse_manifest
from grader.exercises.pack import MANIFEST, ExercisePack, load_pack

INCOMING = "incoming"


class PackInvalid(ValueError):
    """The pack's own problems (not the archive's), all of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _errors(path: Path) -> list[str]:
    return [f.render(base=path) for f in lint_pack(path) if f.severity is Severity.ERROR]


def stage_pack(files: dict[str, bytes], *, root: Path) -> tuple[ExercisePack, list[str]]:
    """Write `files` below the empty folder `root` and load them as a pack.
    Returns the pack and lint's warnings; PackInvalid with every error otherwise."""
    if MANIFEST not in files:
        names = ", ".join(sorted(files)[:5])
        raise PackInvalid([f"{MANIFEST} is missing at the top of the archive (found {names})"])
    incoming = root / INCOMING
    try:
        write_files(files, incoming)
    except ArchiveError as exc:
        raise PackInvalid(exc.problems) from None
    try:
        manifest = parse_manifest(incoming / MANIFEST)
    except ManifestError:
        raise PackInvalid(_errors(incoming) or ["exercise.toml is invalid"]) from None
    folder = root / manifest.category.value / manifest.slug
    folder.parent.mkdir(parents=True, exist_ok=True)
    incoming.rename(folder)
    findings = lint_pack(folder)
    errors = [f.render(base=folder) for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise PackInvalid(errors)
    try:
        pack = load_pack(folder)
    except ManifestError as exc:  # lint missed it: still the author's problem, not a crash
        raise PackInvalid([str(exc)]) from None
    warnings = [f.render(base=folder) for f in findings if f.severity is Severity.WARNING]
    return pack, warnings
