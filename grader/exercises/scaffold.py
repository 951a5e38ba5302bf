"""Creating a new exercise pack from a template: `grader exercises new CATEGORY SLUG`.

scaffold() writes a tiny but complete pack (prompt, starter, reference
solution, one hidden test, one mutant) that load_pack() accepts as it is, so
an author starts from something that passes `grader exercises check` and
edits it step by step instead of from an empty folder.

Templates live in templates/<runner>/ as `*.j2` files: the suffix keeps
ruff, mypy and pytest away from template test files and solutions, and is
stripped on output. Path segments named `__module__` become the python
runner's module name.
"""

from __future__ import annotations

import keyword
import re
import shutil
import sys
from pathlib import Path

import jinja2

from grader.exercises.manifest import SLUG_RE, Category, Runner
from grader.exercises.pack import load_pack

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_SUFFIX = ".j2"
MODULE_PLACEHOLDER = "__module__"
# Used when the slug does not make a safe module name (see _module_name).
FALLBACK_MODULE = "exercise"

# Which runner a new pack of each category starts with.
RUNNER_FOR_CATEGORY: dict[Category, Runner] = {
    Category.API_DESIGN: Runner.HTTP_APP,
    Category.SECURITY: Runner.PYTHON,
    Category.SQL_OPTIMIZATION: Runner.SQL,
}


class ScaffoldError(ValueError):
    """A pack that cannot be created; the message says why and what to do."""


class UnknownCategory(ScaffoldError):
    pass


class BadSlug(ScaffoldError):
    pass


class PackExists(ScaffoldError):
    pass


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise UnknownCategory(f"unknown category {value!r}: use one of {known}") from None


def _check_slug(slug: str) -> None:
    if not isinstance(slug, str) or not re.fullmatch(SLUG_RE, slug):
        raise BadSlug(
            f"bad slug {slug!r}: use 3 to 64 characters, lowercase letters, digits and "
            "hyphens, starting and ending with a letter or digit (e.g. 'books-api')"
        )


def _module_name(slug: str) -> str:
    """The python runner's module: the slug as an identifier, unless that
    would not import (starts with a digit, a keyword) or would shadow a
    standard-library module the tests or the proxy may need ("json")."""
    name = slug.replace("-", "_")
    if not name.isidentifier() or keyword.iskeyword(name) or name in sys.stdlib_module_names:
        return FALLBACK_MODULE
    return name


def _existing_pack(exercises_dir: Path, slug: str) -> Path | None:
    # Slugs are unique across categories: the catalogue and the image tag key on them.
    if not exercises_dir.is_dir():
        return None
    for candidate in sorted(exercises_dir.glob(f"*/{slug}")):
        return candidate
    return None


def _render_tree(source: Path, target: Path, context: dict[str, str]) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(source),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly
        keep_trailing_newline=True,
        autoescape=False,  # we write Python, TOML and Markdown, not HTML
    )
    for template_path in sorted(source.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template_path.relative_to(source)
        parts = [part.replace(MODULE_PLACEHOLDER, context["module"]) for part in relative.parts]
        parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
        out = target.joinpath(*parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = env.get_template(relative.as_posix()).render(**context)
        out.write_text(text, encoding="utf-8")


def scaffold(*, exercises_dir: Path, category: str, slug: str) -> Path:
    """Create exercises_dir/<category>/<slug>/ from the category's template and
    return its path. Raises UnknownCategory, BadSlug or PackExists (all
    ScaffoldError, a ValueError); never touches an existing folder."""
    cat = _category(category)
    _check_slug(slug)
    runner = RUNNER_FOR_CATEGORY[cat]
    target = exercises_dir / cat.value / slug
    existing = _existing_pack(exercises_dir, slug)
    if existing is not None:
        raise PackExists(
            f"{existing} already exists: scaffold never overwrites; pick another slug "
            "(slugs are unique across categories)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # mkdir without exist_ok is the atomic claim: two concurrent calls
        # cannot both write into the same folder.
        target.mkdir()
    except FileExistsError:
        raise PackExists(f"{target} already exists: scaffold never overwrites") from None

    context = {
        "slug": slug,
        "category": cat.value,
        "runner": runner.value,
        "title": slug.replace("-", " ").capitalize(),
        "module": _module_name(slug),
    }
    try:
        _render_tree(TEMPLATES / runner.value, target, context)
        # The promise is a pack that validates now; a broken template must not
        # leave a half-made folder behind.
        load_pack(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
