"""`grader exercises new`: --runner, --sql-kind, --from and the combinations it refuses."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from grader.cli import exercises as exercises_cli
from grader.exercises.manifest import Category, Runner
from grader.exercises.pack import content_hash, load_pack
from grader.exercises.pack_copy import ManifestRewriteError, set_fields

PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "packs"


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalogue holding the fixture packs (mutant-forms has a mutant in each form)."""
    root = tmp_path / "exercises"
    shutil.copytree(PACKS, root)
    monkeypatch.setattr(exercises_cli, "get_settings", lambda: SimpleNamespace(exercises_dir=root))
    return root


def new(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(exercises_cli.app, ["new", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize("category", [c.value for c in Category])
@pytest.mark.parametrize("runner", [r.value for r in Runner])
def test_any_runner_in_any_category_makes_a_pack_that_loads(
    catalogue: Path, category: str, runner: str
) -> None:
    code, output = new(category, "made-here", "--runner", runner)
    assert code == 0, output
    pack = load_pack(catalogue / category / "made-here")
    assert pack.manifest.runner.value == runner and pack.manifest.category.value == category
    assert pack.mutants
    assert f"--runner {runner}" in (pack.path / "exercise.toml").read_text(encoding="utf-8")


def test_the_category_still_picks_the_runner_by_default(catalogue: Path) -> None:
    assert new("security", "plain-one")[0] == 0
    assert load_pack(catalogue / "security" / "plain-one").manifest.runner is Runner.PYTHON


@pytest.mark.parametrize(
    ("kind", "submitted", "index_files", "mutant"),
    [
        (None, "query.sql", [], "function-on-column"),
        ("query", "query.sql", [], "function-on-column"),
        ("indexes", "indexes.sql", ["indexes.sql"], "expression-index"),
    ],
)
def test_sql_kinds(
    catalogue: Path, kind: str | None, submitted: str, index_files: list[str], mutant: str
) -> None:
    code, output = new("sql-optimization", "lookup-lab", *(["--sql-kind", kind] if kind else []))
    assert code == 0, output
    pack = load_pack(catalogue / "sql-optimization" / "lookup-lab")
    assert pack.manifest.sql is not None and pack.manifest.sql.index_files == index_files
    assert pack.manifest.submission.required == [submitted]
    assert [m.name for m in pack.mutants] == [mutant]
    assert sorted(p.name for p in pack.solution.iterdir()) == [submitted]
    # the other kind's files stay in the template
    assert not (pack.path / "query").exists() and not (pack.path / "indexes").exists()
    schema = (pack.path / "data" / "schema.sql").read_text(encoding="utf-8")
    assert ("CREATE INDEX" in schema) is (kind != "indexes")  # indexes: the student makes it


def test_sql_kind_with_an_explicit_sql_runner_in_another_category(catalogue: Path) -> None:
    assert new("security", "index-lab", "--runner", "sql", "--sql-kind", "indexes")[0] == 0
    pack = load_pack(catalogue / "security" / "index-lab")
    assert pack.manifest.sql is not None and pack.manifest.sql.index_files == ["indexes.sql"]


def test_from_copies_the_whole_pack_with_its_mutants(catalogue: Path) -> None:
    source = catalogue / "security" / "mutant-forms"
    (source / "solution" / "__pycache__").mkdir()
    (source / "solution" / "__pycache__" / "calc.cpython-311.pyc").write_bytes(b"\0")
    code, output = new("api-design", "calc-copy", "--from", "mutant-forms")
    assert code == 0, output
    copy = load_pack(catalogue / "api-design" / "calc-copy")
    original = load_pack(source)
    assert (copy.slug, copy.manifest.title, copy.manifest.category) == (
        "calc-copy", "Calc copy", Category.API_DESIGN)
    # everything else as it was: runner, module, limits, mutants in both forms
    assert copy.manifest.model_dump(exclude={"slug", "title", "category"}) == \
        original.manifest.model_dump(exclude={"slug", "title", "category"})
    mutants = [(m.name, m.files) for m in original.mutants]
    assert [(m.name, m.files) for m in copy.mutants] == mutants
    assert (copy.path / "mutants" / "off-by-one" / "mutant.toml").is_file()
    assert (copy.path / "mutants" / "wrong-sign.patch").is_file()
    assert not list(copy.path.rglob("__pycache__"))
    # the manifest's comments stay; the source is untouched
    text = (copy.path / "exercise.toml").read_text(encoding="utf-8")
    assert text.startswith("# A test-only pack with a mutant in each form")
    assert load_pack(source).manifest.slug == "mutant-forms"


def test_from_with_the_same_runner_is_fine(catalogue: Path) -> None:
    assert new("security", "calc-two", "--from", "mutant-forms", "--runner", "python")[0] == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "mutant-form"], "no exercise 'mutant-form' under"),
        (["--from", "mutant-form"], "did you mean mutant-forms"),
        (["--from", "zzzzzzzz"], "(known: mutant-forms, sandbox-probe)"),
        (["--from", "mutant-forms", "--runner", "http-app"],
         "copies a 'python' exercise; --runner http-app cannot convert it"),
        (["--from", "mutant-forms", "--sql-kind", "indexes"], "use one or the other"),
        (["--runner", "python", "--sql-kind", "indexes"], "--sql-kind is for the sql runner"),
        (["--sql-kind", "indexes"], "runner 'python' has one template"),  # security: python
    ],
)
def test_refusals_exit_2_and_write_nothing(catalogue: Path, args: list[str], said: str) -> None:
    before = content_hash(catalogue)
    code, output = new("security", "never-made", *args)
    assert code == 2
    assert said in " ".join(output.split())
    assert "Traceback" not in output
    assert content_hash(catalogue) == before
    assert not (catalogue / "security" / "never-made").exists()


@pytest.mark.parametrize("args", [["--runner", "ruby"], ["--sql-kind", "views"]])
def test_unknown_choices_are_refused_by_the_option(catalogue: Path, args: list[str]) -> None:
    code, output = new("sql-optimization", "never-made", *args)
    assert code == 2 and "Invalid value" in output
    assert not (catalogue / "sql-optimization" / "never-made").exists()


def test_from_refuses_an_existing_slug(catalogue: Path) -> None:
    code, output = new("security", "sandbox-probe", "--from", "mutant-forms")
    assert code == 2 and "already exists" in output


def test_set_fields_touches_only_top_level_lines() -> None:
    text = '# slug = "comment"\nslug = "old"  # kept\ntitle = \'T\'\n[python]\nslug = "x"\n'
    out = set_fields(text, {"slug": "new", "title": 'Say "hi"'})
    assert tomllib.loads(out) == {"slug": "new", "title": 'Say "hi"', "python": {"slug": "x"}}
    assert '# slug = "comment"' in out and "# kept" in out
    with pytest.raises(ManifestRewriteError, match="category"):
        set_fields(text, {"category": "security"})


@pytest.mark.parametrize("source", ["../security/mutant-forms", "security/mutant-forms",
                                    "mutant-forms/..", "/etc", ".."])
def test_from_finds_a_pack_by_slug_only(catalogue: Path, source: str) -> None:
    before = content_hash(catalogue)
    code, output = new("security", "never-made", "--from", source)
    # The console wraps at 80 columns, and this temporary path is long under xdist.
    said = " ".join(output.split())
    assert code == 2 and f"--from {source}: no exercise '{source}' under" in said
    assert content_hash(catalogue) == before
