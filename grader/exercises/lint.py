"""`grader exercises lint`: every problem of a pack found without Docker, at once.

lint_pack() returns Findings (file, line and field where known, message,
severity). It reuses the loader's own checks (grader.exercises.pack and
mutants), piece by piece so that one broken part does not hide the next, and
adds what only running the tests would otherwise show (grader.exercises.testscan):

- errors: the manifest and the loader's rules; a runner table ([http_app],
  [python], [sql]) for another runner (it is ignored); README.md missing or
  empty; a must_fail entry naming no test; a test file that does not parse;
  an unknown or malformed marker (the harness fails the whole run on one);
  a hidden test without a hint when hidden_messages = "none" (the student
  sees only its name);
- warnings: a hidden test without `points` (it counts the default 1) or
  without a hint; a test worth 0 points. Public tests need neither: their
  failures are shown in full and they count 1 point each by default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from grader.exercises import markers, testscan
from grader.exercises.findings import Finding, Severity, field_line, from_error
from grader.exercises.manifest import (
    Manifest,
    ManifestError,
    MutantSpec,
    Runner,
    parse_manifest,
    parse_mutant_spec,
)
from grader.exercises.mutants import (
    _IGNORED,
    MUTANT_SPEC,
    PATCH_SUFFIX,
    load_folder,
    load_patch,
    parse_patch_spec,
)
from grader.exercises.pack import MANIFEST, README_MISSING, discover, load_pack
from grader.exercises.submission import SubmissionError, read_submission

__all__ = ["Finding", "Severity", "lint_pack", "lint_paths"]

RUNNER_TABLES = {Runner.HTTP_APP: "http_app", Runner.PYTHON: "python", Runner.SQL: "sql"}


def _raw_manifest(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _runner_tables(path: Path, raw: dict[str, Any]) -> list[Finding]:
    try:
        runner = Runner(str(raw.get("runner")))
    except ValueError:
        return []  # the manifest's own validation names it
    found = []
    for other, table in RUNNER_TABLES.items():
        if other is not runner and table in raw:
            found.append(Finding(
                path / MANIFEST, field_line(path / MANIFEST, table), table,
                f"a [{table}] table is for runner '{other.value}', and this exercise's runner "
                f"is '{runner.value}': it would be ignored (remove it, or fix 'runner')",
            ))  # fmt: skip
    return found


def _readme(path: Path) -> list[Finding]:
    readme = path / "README.md"
    if not readme.is_file():
        return [Finding(readme, None, None, "missing: it is the prompt students read")]
    if not readme.read_text(encoding="utf-8", errors="replace").strip():
        return [Finding(readme, None, None, "empty: it is the prompt students read")]
    return []


def _loaded(path: Path, manifest: Manifest) -> list[Finding]:
    """The loader's checks; each part on its own, then load_pack as a whole."""
    found: list[Finding] = []
    solution = None
    for folder in ("solution", "starter"):
        if (path / folder).is_dir():
            try:
                files = read_submission(path / folder, manifest.submission)
                solution = files if folder == "solution" else solution
            except SubmissionError as exc:
                found.append(Finding(path / folder, None, None, str(exc)))
    entries = sorted((path / "mutants").iterdir()) if (path / "mutants").is_dir() else []
    for entry in (e for e in entries if e.name not in _IGNORED):
        try:
            if entry.is_dir():
                load_folder(entry, manifest)
            elif entry.suffix == PATCH_SUFFIX and solution is not None:
                load_patch(entry, manifest, solution)
        except ManifestError as exc:
            found.extend(from_error(exc))
    try:
        load_pack(path)
    except ManifestError as exc:
        found.extend(f for f in from_error(exc) if f.message != README_MISSING)  # _readme's
    return found


def mutant_specs(path: Path, found: list[Finding]) -> list[tuple[Path, MutantSpec]]:
    """Each mutant's file holding must_fail, and its spec; a broken spec goes to `found`
    (even when the manifest is too broken for the loader to reach the mutants)."""
    specs = []
    folder = path / "mutants"
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            if entry.is_dir() and (entry / MUTANT_SPEC).is_file():
                specs.append((entry / MUTANT_SPEC, parse_mutant_spec(entry / MUTANT_SPEC)))
            elif entry.suffix == PATCH_SUFFIX:
                text = entry.read_text(encoding="utf-8")
                specs.append((entry, parse_patch_spec(entry, text)))
        except ManifestError as exc:
            found.extend(from_error(exc))
        except UnicodeDecodeError:
            found.append(Finding(entry, None, None, "not UTF-8 text"))
    return specs


def lint_pack(path: Path) -> list[Finding]:
    """Every problem of the pack at `path`, in a stable order, each once."""
    path = path.resolve()
    found: list[Finding] = []
    manifest = None
    try:
        manifest = parse_manifest(path / MANIFEST)
    except ManifestError as exc:
        found.extend(from_error(exc))
    raw = _raw_manifest(path)
    found += _runner_tables(path, raw)
    found += _readme(path)
    scoring = raw.get("scoring")
    policy = scoring.get("hidden_messages") if isinstance(scoring, dict) else None
    tests = testscan.collect(path)
    found += markers.lint_tests(path, tests, policy if isinstance(policy, str) else "author")
    specs = mutant_specs(path, found)
    found += markers.lint_must_fail(tests, specs)
    if manifest is not None:
        found += _loaded(path, manifest)
    return list(dict.fromkeys(found))


def lint_paths(roots: list[Path]) -> tuple[list[Path], list[Finding]]:
    """The packs at or below `roots` and their findings; ManifestError for a bad root."""
    packs = discover(roots)
    found: list[Finding] = []
    slugs: dict[str, Path] = {}
    for pack in packs:
        found += lint_pack(pack)
        if pack.name in slugs:
            found.append(Finding(pack / MANIFEST, None, "slug", f"{pack.name!r} is also the slug "
                                 f"of {slugs[pack.name]}: slugs must be unique"))
        slugs.setdefault(pack.name, pack)
    return packs, found
