"""scaffold(): `grader exercises new CATEGORY SLUG` without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercises import scaffold as scaffold_module
from grader.exercises.manifest import Category, Runner
from grader.exercises.pack import content_hash, load_pack
from grader.exercises.scaffold import (
    RUNNER_FOR_CATEGORY,
    TEMPLATES,
    BadOptions,
    BadSlug,
    PackExists,
    ScaffoldError,
    UnknownCategory,
    UnknownSource,
    scaffold,
)


@pytest.mark.parametrize("category", [c.value for c in Category])
def test_new_pack_loads_at_once(tmp_path: Path, category: str) -> None:
    path = scaffold(exercises_dir=tmp_path, category=category, slug="new-thing")
    assert path == tmp_path / category / "new-thing"
    pack = load_pack(path)
    assert pack.slug == "new-thing"
    assert pack.manifest.category.value == category
    assert pack.manifest.runner is RUNNER_FOR_CATEGORY[Category(category)]
    expected = ["function-on-column"] if category == "sql-optimization" else ["hard-coded-name"]
    assert [m.name for m in pack.mutants] == expected
    assert pack.readme.is_file() and pack.starter.is_dir() and pack.solution.is_dir()
    # Templates carry a .j2 suffix; none may leak into the pack.
    assert not list(path.rglob("*.j2"))
    for source in path.rglob("*.py"):
        compile(source.read_text(encoding="utf-8"), str(source), "exec")


def test_runners_by_category() -> None:
    assert RUNNER_FOR_CATEGORY[Category.API_DESIGN] is Runner.HTTP_APP
    assert RUNNER_FOR_CATEGORY[Category.SECURITY] is Runner.PYTHON
    assert RUNNER_FOR_CATEGORY[Category.SQL_OPTIMIZATION] is Runner.SQL
    for runner in set(RUNNER_FOR_CATEGORY.values()):
        assert (TEMPLATES / runner.value / "exercise.toml.j2").is_file()


@pytest.mark.parametrize(
    ("slug", "module"),
    [
        ("hash-lab", "hash_lab"),
        ("3des-lab", "exercise"),  # not an identifier
        ("json", "exercise"),  # would shadow the standard library
        ("class", "exercise"),  # a keyword
    ],
)
def test_python_module_name_is_safe(tmp_path: Path, slug: str, module: str) -> None:
    pack = load_pack(scaffold(exercises_dir=tmp_path, category="security", slug=slug))
    assert pack.manifest.runner_options() == {"module": module}
    assert (pack.solution / f"{module}.py").is_file()


def test_refuses_an_existing_folder_and_leaves_it_alone(tmp_path: Path) -> None:
    path = scaffold(exercises_dir=tmp_path, category="security", slug="taken")
    (path / "README.md").write_text("my edits\n", encoding="utf-8")
    before = content_hash(path)
    with pytest.raises(PackExists, match="already exists"):
        scaffold(exercises_dir=tmp_path, category="security", slug="taken")
    assert content_hash(path) == before
    assert (path / "README.md").read_text(encoding="utf-8") == "my edits\n"


def test_refuses_a_folder_that_is_not_a_pack_yet(tmp_path: Path) -> None:
    (tmp_path / "security" / "half-made").mkdir(parents=True)
    (tmp_path / "security" / "half-made" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(PackExists):
        scaffold(exercises_dir=tmp_path, category="security", slug="half-made")
    assert [p.name for p in (tmp_path / "security" / "half-made").iterdir()] == ["notes.txt"]


def test_refuses_a_slug_used_in_another_category(tmp_path: Path) -> None:
    scaffold(exercises_dir=tmp_path, category="api-design", slug="shared-name")
    with pytest.raises(PackExists, match="unique across categories"):
        scaffold(exercises_dir=tmp_path, category="security", slug="shared-name")
    assert not (tmp_path / "security" / "shared-name").exists()


@pytest.mark.parametrize(
    "slug",
    ["", "ab", "Books", "books_api", "-books", "books-", "../books", "a/b", "b" * 65, " ab "],
)
def test_refuses_bad_slugs(tmp_path: Path, slug: str) -> None:
    with pytest.raises(BadSlug, match="bad slug"):
        scaffold(exercises_dir=tmp_path, category="security", slug=slug)
    assert not any(tmp_path.rglob("*"))


def test_refuses_unknown_categories(tmp_path: Path) -> None:
    with pytest.raises(UnknownCategory, match="unknown category 'databases'") as raised:
        scaffold(exercises_dir=tmp_path, category="databases", slug="fine-slug")
    assert "api-design" in str(raised.value)  # the message lists the valid ones
    assert not any(tmp_path.rglob("*"))


def test_errors_are_value_errors() -> None:
    for error in (ScaffoldError, UnknownCategory, BadSlug, PackExists, BadOptions, UnknownSource):
        assert issubclass(error, ValueError)


def test_a_pack_that_fails_validation_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path) -> None:
        raise ValueError("template bug")

    monkeypatch.setattr(scaffold_module, "load_pack", broken)
    with pytest.raises(ValueError, match="template bug"):
        scaffold(exercises_dir=tmp_path, category="security", slug="doomed")
    assert not (tmp_path / "security" / "doomed").exists()


def test_refusals_come_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(BadOptions, match="is for the sql runner"):
        scaffold(exercises_dir=tmp_path, category="security", slug="fine-slug", sql_kind="indexes")
    with pytest.raises(UnknownSource, match="no exercise 'nope'"):
        scaffold(exercises_dir=tmp_path, category="security", slug="fine-slug", source="nope")
    assert not any(tmp_path.rglob("*"))


def test_a_copy_that_fails_validation_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scaffold(exercises_dir=tmp_path, category="security", slug="the-source")
    real = scaffold_module.load_pack

    def broken(path: Path) -> object:
        if path.name == "the-copy":
            raise ValueError("copy bug")
        return real(path)

    monkeypatch.setattr(scaffold_module, "load_pack", broken)
    with pytest.raises(ValueError, match="copy bug"):
        scaffold(exercises_dir=tmp_path, category="security", slug="the-copy", source="the-source")
    assert not (tmp_path / "security" / "the-copy").exists()
