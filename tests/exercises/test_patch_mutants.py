"""Mutants in both forms: a folder (a whole submission + mutant.toml) and a
patch on solution/ (mutants/<name>.patch, applied in memory by the loader).

The fixture pack tests/fixtures/packs/security/mutant-forms holds one of
each. No Docker: selftest's check_pack gets a grade function that runs the
submitted calc.py in-process.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from grader.exercises.manifest import ManifestError
from grader.exercises.mutants import folder_to_patch, new_folder, patch_to_folder
from grader.exercises.pack import ExercisePack, load_pack
from grader.selftest import CaseKind, cases_of, check_pack
from grader_harness.report import Outcome, Report, Status, TestResult

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "packs" / "security" / "mutant-forms"


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    """A copy of the fixture pack: these tests write into mutants/."""
    target = tmp_path / "security" / "mutant-forms"
    shutil.copytree(FIXTURE, target)
    return target


def test_the_fixture_has_both_forms_and_they_load_the_same_way() -> None:
    pack = load_pack(FIXTURE)
    by_name = {m.name: m for m in pack.mutants}
    assert list(by_name) == ["off-by-one", "wrong-sign"]
    assert by_name["off-by-one"].path.is_dir()
    assert by_name["wrong-sign"].path.name == "wrong-sign.patch"
    solution = (FIXTURE / "solution" / "calc.py").read_text(encoding="utf-8")
    patched = by_name["wrong-sign"].files
    assert patched == {"calc.py": solution.replace("FACTOR * x\n", "FACTOR * abs(x)\n")}
    assert by_name["wrong-sign"].spec.must_fail == ["test_scales_negative"]
    assert by_name["off-by-one"].files["calc.py"].count("FACTOR * x + 1") == 1
    assert not (FIXTURE / "mutants" / "wrong-sign").exists()  # never written to disk


def fake_grade(pack: ExercisePack, files: dict[str, str]) -> Report:
    """The fixture's three tests, run on the submitted calc.py in this process."""
    module: dict[str, object] = {}
    exec(compile(files["calc.py"], "calc.py", "exec"), module)  # test code, not a student's
    checks = {
        "test_scales_positive": lambda: module["scale"](2) == 6,  # type: ignore[operator]
        "test_scales_negative": lambda: module["scale"](-2) == -6,  # type: ignore[operator]
        "test_describes": lambda: module["describe"](1) == "1 scaled is 3",  # type: ignore[operator]
    }
    tests = []
    for name, check in checks.items():
        try:
            ok = check()
        except (NotImplementedError, KeyError):  # the starter: a stub, no describe()
            ok = False
        tests.append(TestResult(id=f"tests/test_calc.py::{name}", name=name, max_points=1.0,
                                points=float(ok), duration=0.0,
                                outcome=Outcome.PASSED if ok else Outcome.FAILED))
    score = sum(t.points for t in tests)
    status = Status.PASSED if score == len(tests) else Status.FAILED
    return Report(status=status, score=score, max_score=float(len(tests)), tests=tests)


def test_check_grades_the_patched_files_of_a_patch_mutant() -> None:
    pack = load_pack(FIXTURE)
    mutants = [c for c in cases_of(pack) if c.kind is CaseKind.MUTANT]
    assert [c.files for c in mutants] == [m.files for m in pack.mutants]
    result = check_pack(pack, runs=1, grade=fake_grade)
    assert result.ok, [(c.case.label, c.problems) for c in result.cases]
    scores = {c.case.label: c.reports[0].score for c in result.cases}
    assert scores == {"solution": 3.0, "starter": 0.0, "mutant 'off-by-one'": 0.0,
                      "mutant 'wrong-sign'": 2.0}


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def load_error(pack: Path) -> str:
    with pytest.raises(ManifestError) as raised:
        load_pack(pack)
    return str(raised.value)


def test_a_patch_that_no_longer_applies_names_pack_mutant_file_and_hunk(pack_dir: Path) -> None:
    solution = pack_dir / "solution" / "calc.py"
    write(solution, solution.read_text(encoding="utf-8").replace('"""Three times x."""',
                                                                 '"""3 * x."""'))
    message = load_error(pack_dir)
    assert message.startswith(f"{pack_dir / 'mutants' / 'wrong-sign.patch'}: ")
    assert "mutant 'wrong-sign' does not apply to solution/: file 'calc.py', hunk 1: " in message
    assert "line 7 is '    \"\"\"3 * x.\"\"\"\\n', the patch expects" in message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad-toml.patch", "description = \n--- a/calc.py\n", "is not valid TOML"),
        ("no-must-fail.patch", 'description = "x"\n', "field 'must_fail'"),
        ("outside.patch", 'must_fail = ["t"]\n--- a/../calc.py\n+++ b/../calc.py\n@@ -1 +1 @@\n',
         "must name a file inside solution/"),
        ("not-allowed.patch",
         'must_fail = ["t"]\n--- /dev/null\n+++ b/evil.sh\n@@ -0,0 +1 @@\n+x\n',
         "file 'evil.sh' is not allowed here"),
        ("notes.txt", "hello\n", "holds <name>/ folders and <name>.patch files only"),
    ],
)
def test_broken_patch_mutants_are_refused_at_load(
    pack_dir: Path, name: str, text: str, expected: str
) -> None:
    write(pack_dir / "mutants" / name, text)
    message = load_error(pack_dir)
    assert message.startswith(str(pack_dir / "mutants" / name)) and expected in message


def test_one_name_in_both_forms_is_refused(pack_dir: Path) -> None:
    shutil.copytree(pack_dir / "mutants" / "off-by-one", pack_dir / "mutants" / "wrong-sign")
    assert "is both a folder and a patch" in load_error(pack_dir)


def test_new_save_and_edit_round_trip(pack_dir: Path) -> None:
    folder = new_folder(pack_dir, "halves")
    assert (folder / "calc.py").read_text() == (pack_dir / "solution" / "calc.py").read_text()
    assert "field 'must_fail'" in load_error(pack_dir)  # to fill in before it loads
    with pytest.raises(ManifestError, match="still the solution"):
        write(folder / "mutant.toml", 'description = "halves"\nmust_fail = ["test_describes"]\n')
        folder_to_patch(pack_dir, "halves")
    edited = (folder / "calc.py").read_text().replace("FACTOR = 3", "FACTOR = 1.5")
    write(folder / "calc.py", edited)
    patch = folder_to_patch(pack_dir, "halves")
    assert patch == pack_dir / "mutants" / "halves.patch" and not folder.exists()
    header = 'description = "halves"\nmust_fail = ["test_describes"]\n\n--- a/calc.py\n'
    assert patch.read_text().startswith(header)
    halves = {m.name: m for m in load_pack(pack_dir).mutants}["halves"]
    assert "FACTOR = 1.5\n" in halves.files["calc.py"]
    again = patch_to_folder(pack_dir, "halves")
    assert not patch.exists() and (again / "calc.py").read_text() == halves.files["calc.py"]
    assert {m.name: m for m in load_pack(pack_dir).mutants}["halves"].files == halves.files
    with pytest.raises(ManifestError, match="exists already"):
        new_folder(pack_dir, "halves")


def test_the_cli_makes_and_saves_a_mutant(pack_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli.main import app
    from grader.settings import get_settings

    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(pack_dir.parents[1]))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        made = runner.invoke(app, ["exercises", "mutant", "new", "mutant-forms", "zero"])
        assert made.exit_code == 0, made.output
        folder = pack_dir / "mutants" / "zero"
        write(folder / "calc.py", (folder / "calc.py").read_text().replace("FACTOR * x", "0"))
        write(folder / "mutant.toml", 'description = "0"\nmust_fail = ["test_scales_positive"]\n')
        saved = runner.invoke(app, ["exercises", "mutant", "save", "mutant-forms", "zero"])
        assert saved.exit_code == 0, saved.output
        assert (pack_dir / "mutants" / "zero.patch").is_file() and not folder.exists()
        missing = runner.invoke(app, ["exercises", "mutant", "save", "mutant-forms", "nope"])
        assert missing.exit_code == 2 and "no folder mutant" in missing.output
    finally:
        get_settings.cache_clear()


HOSTILE_NAMES = ["../x", "/abs", "a/b", "a\\b", "", ".", "..", ".hidden", "-x", "a\nb",
                 "a\0b", "a\udcffb", "y" * 300, "halves.patch"]  # "\udcff": a bad byte in argv


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("make", [new_folder, patch_to_folder, folder_to_patch])
def test_hostile_mutant_names_are_refused_and_nothing_is_written(
    pack_dir: Path, make: Callable[[Path, str], Path], name: str
) -> None:
    before = sorted(p.relative_to(pack_dir.parent) for p in pack_dir.parent.rglob("*"))
    with pytest.raises(ManifestError, match="bad mutant name") as raised:
        make(pack_dir, name)
    assert raised.value.path == pack_dir / "mutants"
    assert sorted(p.relative_to(pack_dir.parent) for p in pack_dir.parent.rglob("*")) == before


@pytest.mark.parametrize("command", ["new", "edit", "save"])
@pytest.mark.parametrize("name", ["../x", "/abs", "", "..", "y" * 300, "a\udcffb"])
def test_the_cli_refuses_hostile_names_with_exit_2(
    pack_dir: Path, monkeypatch: pytest.MonkeyPatch, command: str, name: str
) -> None:
    from grader.cli import mutants as mutants_cli

    monkeypatch.setattr(mutants_cli, "get_settings",
                        lambda: type("S", (), {"exercises_dir": pack_dir.parents[1]}))
    done = CliRunner().invoke(mutants_cli.app, [command, "mutant-forms", name],
                              env={"COLUMNS": "400"})
    assert done.exit_code == 2, done.output
    assert "bad mutant name" in done.output and "Traceback" not in done.output


@pytest.mark.parametrize(("slug", "said"), [
    ("mutant-form", "did you mean mutant-forms?"),
    ("../security/mutant-forms", "no exercise '../security/mutant-forms' under"),
])
def test_the_cli_finds_packs_by_slug_only(
    pack_dir: Path, monkeypatch: pytest.MonkeyPatch, slug: str, said: str
) -> None:
    from grader.cli import mutants as mutants_cli

    monkeypatch.setattr(mutants_cli, "get_settings",
                        lambda: type("S", (), {"exercises_dir": pack_dir.parents[1]}))
    done = CliRunner().invoke(mutants_cli.app, ["new", slug, "fine-name"],
                              env={"COLUMNS": "400"})
    assert done.exit_code == 2 and said in " ".join(done.output.split())
    assert not (pack_dir / "mutants" / "fine-name").exists()
