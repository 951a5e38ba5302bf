"""Creating a new exercise pack from a template: `grader exercises new CATEGORY SLUG`.

scaffold() writes a tiny but complete pack (prompt, starter, reference
solution, one hidden test, one mutant) that load_pack() accepts as it is, so
an author starts from something that passes `grader exercises check` and
edits it step by step instead of from an empty folder.

Templates live in templates/<runner>/ as `*.j2` files: the suffix keeps
ruff, mypy and pytest away from template test files and solutions, and is
stripped on output. Path segments named `__module__` become the python
runner's module name. A runner with several kinds of exercise (sql: a query
or an index file) keeps what they share at the top of its folder and the
rest in one sub-folder per kind (templates/sql/query/, templates/sql/indexes/).

`--from SLUG` copies an existing pack instead (grader.exercises.pack_copy).
"""

from __future__ import annotations

import enum
import keyword
import re
import shutil
import sys
from pathlib import Path

import jinja2

from grader.exercises import pack_copy
from grader.exercises.manifest import SLUG_RE, Category, Runner
from grader.exercises.pack import UnknownPack, load_pack, pack_folder

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


class SqlKind(enum.StrEnum):
    """What a student of an sql exercise submits."""

    QUERY = "query"  # query.sql: one SELECT (sargable-date-filter)
    INDEXES = "indexes"  # indexes.sql: CREATE INDEX statements (hot-lookup-index)


# The kinds of each runner that has several; the first is the default.
KINDS: dict[Runner, tuple[str, ...]] = {Runner.SQL: tuple(k.value for k in SqlKind)}


class ScaffoldError(ValueError):
    """A pack that cannot be created; the message says why and what to do."""


class UnknownCategory(ScaffoldError):
    pass


class BadSlug(ScaffoldError):
    pass


class PackExists(ScaffoldError):
    pass


class BadOptions(ScaffoldError):
    """An unknown runner or kind, or options that do not go together."""


class UnknownSource(ScaffoldError):
    """--from names no exercise; the message suggests the closest."""


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


def _render_tree(
    source: Path, target: Path, context: dict[str, str], skip: tuple[str, ...] = ()
) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(source),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly
        keep_trailing_newline=True,
        autoescape=False,  # we write Python, TOML and Markdown, not HTML
    )
    for template_path in sorted(source.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template_path.relative_to(source)
        if relative.parts[0] in skip:  # another kind's sub-folder
            continue
        parts = [part.replace(MODULE_PLACEHOLDER, context["module"]) for part in relative.parts]
        parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
        out = target.joinpath(*parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = env.get_template(relative.as_posix()).render(**context)
        out.write_text(text, encoding="utf-8")


def _runner(value: str | None, category: Category) -> Runner:
    if value is None:
        return RUNNER_FOR_CATEGORY[category]
    try:
        return Runner(value)
    except ValueError:
        known = ", ".join(r.value for r in Runner)
        raise BadOptions(f"unknown runner {value!r}: use one of {known}") from None


def _kind(runner: Runner, value: str | None) -> str | None:
    kinds = KINDS.get(runner, ())
    if value is None:
        return kinds[0] if kinds else None
    if not kinds:
        raise BadOptions(f"--sql-kind is for the sql runner; runner {runner.value!r} "
                         "has one template")  # fmt: skip
    if value not in kinds:
        raise BadOptions(f"unknown sql kind {value!r}: use one of {', '.join(kinds)}")
    return value


def _source(exercises_dir: Path, slug: str, runner: str | None, sql_kind: str | None) -> Path:
    """The folder of the pack --from names, once the other options agree with it."""
    try:
        folder = pack_folder(slug, exercises_dir)
    except UnknownPack as exc:
        raise UnknownSource(f"--from {slug}: {exc}") from None
    pack = load_pack(folder)  # a broken source is a ManifestError naming it
    if sql_kind is not None:
        raise BadOptions(f"--sql-kind picks a template, --from copies {slug!r} as it is: "
                         "use one or the other")  # fmt: skip
    if runner is not None and runner != pack.manifest.runner.value:
        raise BadOptions(f"--from {slug} copies a {pack.manifest.runner.value!r} exercise; "
                         f"--runner {runner} cannot convert it (leave --runner out)")  # fmt: skip
    return pack.path


def _claim(exercises_dir: Path, category: Category, slug: str) -> Path:
    """The new pack's folder, made empty; never an existing one."""
    target = exercises_dir / category.value / slug
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
    return target


def scaffold(
    *,
    exercises_dir: Path,
    category: str,
    slug: str,
    runner: str | None = None,
    sql_kind: str | None = None,
    source: str | None = None,
) -> Path:
    """Create exercises_dir/<category>/<slug>/ and return its path: from the
    template of `runner` (default: the category's) and `sql_kind` (sql only;
    default "query"), or as a copy of the catalogue's pack `source`. Raises a
    ScaffoldError (a ValueError: UnknownCategory, BadSlug, PackExists,
    BadOptions, UnknownSource) before writing anything; never touches an
    existing folder."""
    cat = _category(category)
    _check_slug(slug)
    title = slug.replace("-", " ").capitalize()
    origin = None
    if source is not None:
        origin = _source(exercises_dir, source, runner, sql_kind)
    else:
        chosen = _runner(runner, cat)
        kind = _kind(chosen, sql_kind)
    target = _claim(exercises_dir, cat, slug)
    try:
        if origin is not None:
            try:
                pack_copy.copy_pack(origin, target, slug=slug, title=title, category=cat.value)
            except pack_copy.ManifestRewriteError as exc:
                raise BadOptions(f"--from {source}: {exc}") from None
        else:
            command = " ".join(["grader exercises new", cat.value, slug,
                                *(["--runner", chosen.value] if runner else []),
                                *(["--sql-kind", kind] if sql_kind and kind else [])])
            context = {"slug": slug, "category": cat.value, "runner": chosen.value,
                       "title": title, "module": _module_name(slug), "sql_kind": kind or "",
                       "command": command}
            kinds = KINDS.get(chosen, ())
            root = TEMPLATES / chosen.value
            _render_tree(root, target, context, skip=kinds)
            if kind is not None:
                _render_tree(root / kind, target, context)
        # The promise is a pack that validates now; a broken template must not
        # leave a half-made folder behind.
        load_pack(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
