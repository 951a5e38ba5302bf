"""grader.exercises.lint: every problem of a pack at once, without Docker.

Each test builds a small pack in tmp_path, breaks it one way (or several at
once) and checks that the finding names the file, the field or line, and
what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercises.findings import Finding, Severity
from grader.exercises.lint import lint_pack, lint_paths
from grader.exercises.patches import make_patch
from tests.exercises.demo_pack import MANIFEST

CATALOGUE = Path(__file__).resolve().parents[2] / "exercises"

HIDDEN = '''\
import pytest


@pytest.mark.points(2)
@pytest.mark.hint("f() returns 1.")
def test_f(student):
    assert student.f() == 1


@pytest.mark.points(1)
@pytest.mark.hint("f() is an int.")
@pytest.mark.parametrize("n", [1, 2])
def test_g(student, n):
    assert isinstance(student.f(), int)


class TestDocumented:
    pytestmark = [pytest.mark.points(1), pytest.mark.hint("Read the README.")]

    def test_doc(self, student):
        """f answers one"""
        assert student.f() == 1
'''
PUBLIC = "def test_public_f(student):\n    assert student.f() == 1\n"
SOLUTION = "def f():\n    return 1\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def patch_mutant(pack: Path, name: str, must_fail: str, code: str = "def f():\n    return 2\n",
                 solution: str = SOLUTION) -> Path:
    diff = make_patch({"demo.py": solution}, {"demo.py": code})
    return write(pack / "mutants" / f"{name}.patch",
                 f'description = "wrong"\nmust_fail = {must_fail}\n\n{diff}')


def make_pack(root: Path, manifest: str = MANIFEST, tests: str = HIDDEN) -> Path:
    """A valid pack: security/demo-pack/ with one patch and one folder mutant."""
    pack = root / "security" / "demo-pack"
    write(pack / "exercise.toml", manifest)
    write(pack / "README.md", "# Demo\n")
    write(pack / "starter" / "demo.py", "def f():\n    return 0\n")
    write(pack / "solution" / "demo.py", SOLUTION)
    write(pack / "tests" / "test_demo.py", tests)
    write(pack / "public_tests" / "test_public_demo.py", PUBLIC)
    patch_mutant(pack, "two", '["test_f", "test_public_f"]')
    write(pack / "mutants" / "three" / "demo.py", "def f():\n    return 3\n")
    write(pack / "mutants" / "three" / "mutant.toml",
          'must_fail = ["tests/test_demo.py::TestDocumented::test_doc", "test_g[1]"]\n')
    return pack


def messages(findings: list[Finding], severity: Severity | None = None) -> str:
    return "\n".join(f.render() for f in findings if severity in (None, f.severity))


def test_a_valid_pack_and_the_catalogue_are_clean(tmp_path: Path) -> None:
    assert lint_pack(make_pack(tmp_path)) == []
    packs, findings = lint_paths([CATALOGUE])
    assert len(packs) >= 10
    assert findings == [], messages(findings)


def test_a_must_fail_typo_is_named_with_the_closest_test(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    patch = patch_mutant(pack, "two", '["test_publc_f"]')
    [finding] = lint_pack(pack)
    assert (finding.path, finding.line, finding.field) == (patch, 2, "must_fail")
    assert finding.severity is Severity.ERROR
    assert "'test_publc_f' is not a test of this pack" in finding.message
    assert "did you mean 'test_public_f'?" in finding.message


@pytest.mark.parametrize(("wanted", "said"), [
    ("test_g", "'test_g[<case-id>]' (it is parametrized)"),
    ("test_doc", "'tests/test_demo.py::TestDocumented::test_doc' (it has a docstring"),
    ("test_nothing_like_it", "is not a test of this pack"),
])
def test_must_fail_is_matched_as_check_matches_it(tmp_path: Path, wanted: str, said: str) -> None:
    pack = make_pack(tmp_path)
    write(pack / "mutants" / "three" / "mutant.toml", f'must_fail = ["{wanted}"]\n')
    [finding] = lint_pack(pack)
    assert finding.path == pack / "mutants" / "three" / "mutant.toml"
    assert said in finding.message and finding.line == 1


def test_a_parametrized_fixture_makes_its_tests_parametrized(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    write(pack / "tests" / "conftest.py",
          "import pytest\n\n@pytest.fixture(params=[1, 2])\ndef number(request):\n"
          "    return request.param\n")
    write(pack / "tests" / "test_more.py", '@pytest.mark.points(1)\n@pytest.mark.hint("h")\n'
          "def test_n(number):\n    pass\n".replace("@", "import pytest\n@", 1))
    patch_mutant(pack, "two", '["test_n", "test_more.py::test_n[2]"]')
    [finding] = lint_pack(pack)
    assert "'test_n' is the name of no reported test" in finding.message


@pytest.mark.parametrize(("runner", "table", "body"), [
    ("http-app", "sql", 'datasets = ["shop"]'),
    ("python", "http_app", 'app = "app.main:app"'),
])
def test_a_table_for_another_runner_is_an_error(
    tmp_path: Path, runner: str, table: str, body: str
) -> None:
    manifest = MANIFEST.replace('runner = "python"', f'runner = "{runner}"')
    pack = make_pack(tmp_path, manifest + f"\n[{table}]\n{body}\n")
    found = [f for f in lint_pack(pack) if f.field == table]
    assert len(found) == 1, messages(lint_pack(pack))
    assert found[0].path == pack / "exercise.toml" and found[0].line == 14
    assert f"[{table}] table is for runner" in found[0].message
    assert f"this exercise's runner is '{runner}'" in found[0].message


def test_markers_of_hidden_tests(tmp_path: Path) -> None:
    tests = HIDDEN + (
        "\n\ndef test_bare(student):\n    pass\n"
        "\n\n@pytest.mark.points(0)\n@pytest.mark.hint('x')\ndef test_free(student):\n    pass\n"
        "\n\n@pytest.mark.points('two')\n@pytest.mark.hints('x')\ndef test_odd(student):\n"
        "    pass\n"
    )
    pack = make_pack(tmp_path, tests=tests)
    found = lint_pack(pack)
    errors, warnings = messages(found, Severity.ERROR), messages(found, Severity.WARNING)
    assert "test_bare has no @pytest.mark.points(n): it counts the default 1 point" in warnings
    assert "test_bare has no @pytest.mark.hint" in warnings
    assert "test_free is worth 0 points" in warnings
    assert "test_odd: points() takes a finite number >= 0, not 'two'" in errors
    assert "test_odd: unknown marker 'hints' (the whole run would fail); did you mean 'hint'?" in (
        errors)
    assert "test_public_f" not in messages(found)  # public tests need neither marker
    assert all(f.path == pack / "tests" / "test_demo.py" and f.line for f in found)


def test_no_hint_is_an_error_when_students_see_nothing_else(tmp_path: Path) -> None:
    manifest = MANIFEST + '\n[scoring]\nhidden_messages = "none"\n'
    pack = make_pack(tmp_path, manifest, HIDDEN + "\n\n@pytest.mark.points(1)\ndef test_x():\n"
                     "    pass\n")
    [finding] = lint_pack(pack)
    assert finding.severity is Severity.ERROR
    assert 'under hidden_messages = "none" a student who fails it sees only its name' in (
        finding.message)


@pytest.mark.parametrize(("text", "said"), [(None, "missing"), (" \n", "empty")])
def test_the_readme_must_be_there_and_say_something(
    tmp_path: Path, text: str | None, said: str
) -> None:
    pack = make_pack(tmp_path)
    if text is None:
        (pack / "README.md").unlink()
    else:
        write(pack / "README.md", text)
    [finding] = lint_pack(pack)
    assert finding.path == pack / "README.md" and finding.message.startswith(said)


def test_a_broken_pack_gets_every_problem_at_once(tmp_path: Path) -> None:
    manifest = MANIFEST.replace('title = "Demo pack"\n', "").replace('"easy"', '"trivial"')
    pack = make_pack(tmp_path, manifest + "\n[limits]\nwall_secs = 3\n")
    (pack / "README.md").unlink()
    write(pack / "tests" / "test_broken.py", "def test_x(:\n")
    patch_mutant(pack, "two", '["test_ff"]')
    write(pack / "mutants" / "three" / "mutant.toml", 'must_fail = "test_f"\n')
    found = lint_pack(pack)
    where = {(f.path.name, f.field, f.line) for f in found}
    assert ("exercise.toml", "title", None) in where  # missing: no line to point at
    assert ("exercise.toml", "difficulty", 3) in where
    assert ("exercise.toml", "limits.wall_secs", 14) in where
    assert ("README.md", None, None) in where
    assert ("test_broken.py", None, 1) in where
    assert ("two.patch", "must_fail", 2) in where
    assert ("mutant.toml", "must_fail", 1) in where  # not a list
    assert all(f.severity is Severity.ERROR for f in found)


def test_a_mutant_that_does_not_apply_does_not_hide_the_others(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    patch_mutant(pack, "stale", '["test_f"]', solution="def f():\n    return 7\n")
    write(pack / "mutants" / "three" / "mutant.toml", 'must_fail = ["test_fx"]\n')
    write(pack / "starter" / "notes.txt", "hi")
    found = messages(lint_pack(pack))
    assert "stale.patch: error: mutant 'stale' does not apply to solution/" in found
    assert "did you mean 'test_f'?" in found
    assert "starter: error: file 'notes.txt' is not allowed here" in found
    assert len(found.splitlines()) == 3  # each once, though the loader saw some twice


def test_a_slug_twice_in_the_catalogue_is_an_error(tmp_path: Path) -> None:
    first = make_pack(tmp_path)
    second = tmp_path / "api-design" / "demo-pack"
    second.mkdir(parents=True)
    for item in first.iterdir():
        target = second / item.name
        target.write_bytes(item.read_bytes()) if item.is_file() else None
    packs, found = lint_paths([tmp_path])
    assert len(packs) == 2
    assert any(f.field == "slug" and "slugs must be unique" in f.message for f in found)
