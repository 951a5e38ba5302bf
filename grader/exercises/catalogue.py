"""The catalogue: every pack below the exercises folder, found by slug."""

from __future__ import annotations

import difflib
from pathlib import Path

from grader.exercises.pack import ExercisePack, discover, load_pack


class UnknownExercise(LookupError):
    """No pack has this slug; the message suggests the closest ones."""


def load_all(root: Path) -> list[ExercisePack]:
    return [load_pack(path) for path in discover([root])]


def find_pack(slug: str, root: Path) -> ExercisePack:
    """The pack whose folder (and manifest slug) is `slug`.

    Only that pack is loaded and validated, so one broken exercise does not
    stop grading of the others.
    """
    paths = {p.name: p for p in discover([root])} if root.is_dir() else {}
    if slug not in paths:
        close = difflib.get_close_matches(slug, list(paths), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        known = f" (known: {', '.join(sorted(paths))})" if paths and not close else ""
        raise UnknownExercise(f"no exercise '{slug}' under {root}{hint}{known}")
    return load_pack(paths[slug])
