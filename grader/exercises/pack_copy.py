"""`grader exercises new CATEGORY SLUG --from OTHER`: a pack copied as a start.

The whole folder of OTHER is copied (prompt, starter, solution, tests, data,
mutants in both forms), caches left out, and the manifest's top-level `slug`,
`title` and `category` are rewritten in place: its comments and layout stay
as the author wrote them. scaffold() finds the source (pack.pack_folder),
validates the options, claims the new folder and loads the result; this
module only copies.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

from grader.exercises.pack import MANIFEST

# Never copied: caches and editor droppings (pack_files leaves them out too).
IGNORED = ("__pycache__", ".pytest_cache", ".mypy_cache", ".DS_Store", "*.pyc")


class ManifestRewriteError(ValueError):
    """A manifest whose top-level fields are not plain `key = "value"` lines."""


def set_fields(text: str, fields: dict[str, str]) -> str:
    """The manifest with each top-level `key = "..."` line given a new value.

    Only the part before the first table header is touched, so `[python]
    module` and the like keep theirs; whatever follows the value on its line
    (a comment) stays."""
    header = re.search(r"^\s*\[", text, flags=re.MULTILINE)
    head, rest = (text[: header.start()], text[header.start():]) if header else (text, "")
    for key, value in fields.items():
        pattern = rf"""^(\s*{re.escape(key)}\s*=\s*)("[^"\n]*"|'[^'\n]*')"""
        # json.dumps writes a TOML basic string for any text (quotes, \\u escapes).
        replacement = r"\g<1>" + json.dumps(value).replace("\\", "\\\\")
        head, count = re.subn(pattern, replacement, head, count=1, flags=re.MULTILINE)
        if count != 1:
            raise ManifestRewriteError(f"{MANIFEST}: no top-level line {key} = \"...\" to rewrite")
    result = head + rest
    parsed = tomllib.loads(result)
    if any(parsed.get(key) != value for key, value in fields.items()):
        raise ManifestRewriteError(f"{MANIFEST}: rewriting {', '.join(fields)} went wrong")
    return result


def copy_pack(source: Path, target: Path, *, slug: str, title: str, category: str) -> None:
    """Copy the pack at `source` into the (empty) folder `target` as a new exercise."""
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*IGNORED))
    manifest = target / MANIFEST
    text = manifest.read_text(encoding="utf-8")
    fields = {"slug": slug, "title": title, "category": category}
    manifest.write_text(set_fields(text, fields), encoding="utf-8")
