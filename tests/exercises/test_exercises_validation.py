"""Error messages of manifest.py, pack.py and submission.py.

A course author's first contact with a broken pack is one of these messages,
so each test checks that it names the file and the field or rule at fault.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grader.exercises.manifest import ManifestError, SubmissionRules, parse_manifest
from grader.exercises.pack import discover, load_pack
from grader.exercises.submission import SubmissionError, check_files, check_path
from tests.exercises.demo_pack import MANIFEST


def make_pack(root: Path, manifest: str = MANIFEST) -> Path:
    """A minimal valid pack: exercises/security/demo-pack/."""
    pack = root / "security" / "demo-pack"
    for folder in ("starter", "solution", "tests", "mutants/wrong"):
        (pack / folder).mkdir(parents=True)
    (pack / "exercise.toml").write_text(manifest, encoding="utf-8")
    (pack / "README.md").write_text("# Demo\n", encoding="utf-8")
    (pack / "starter" / "demo.py").write_text("def f():\n    return 0\n", encoding="utf-8")
    (pack / "solution" / "demo.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (pack / "tests" / "test_demo.py").write_text(
        "def test_f(student):\n    assert student.f() == 1\n", encoding="utf-8"
    )
    (pack / "mutants" / "wrong" / "demo.py").write_text("def f():\n    return 2\n", "utf-8")
    (pack / "mutants" / "wrong" / "mutant.toml").write_text(
        'description = "off by one"\nmust_fail = ["test_f"]\n', encoding="utf-8"
    )
    return pack


def replace_in_manifest(pack: Path, old: str, new: str) -> None:
    path = pack / "exercise.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def load_error(pack: Path) -> ManifestError:
    with pytest.raises(ManifestError) as raised:
        load_pack(pack)
    return raised.value


def test_the_minimal_pack_is_valid(tmp_path: Path) -> None:
    pack = load_pack(make_pack(tmp_path))
    assert pack.slug == "demo-pack" and [m.name for m in pack.mutants] == ["wrong"]


def test_a_bad_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'difficulty = "easy"', 'difficulty = "impossible"')
    error = load_error(pack)
    assert error.path == pack / "exercise.toml"
    assert str(error).startswith(str(pack / "exercise.toml"))
    assert "field 'difficulty'" in str(error)


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'title = "Demo pack"', 'title = "Demo pack"\ncolour = "blue"')
    assert "field 'colour': unknown field" in str(load_error(pack))


def test_an_unknown_nested_field_names_its_table(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text(MANIFEST + "\n[limits]\nwall_secs = 5\n", "utf-8")
    assert "field 'limits.wall_secs': unknown field" in str(load_error(pack))


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("wall_seconds = 0", "limits.wall_seconds"),
        ("wall_seconds = 601", "limits.wall_seconds"),
        ("memory_mb = 16", "limits.memory_mb"),
        ("processes = 4", "limits.processes"),
        ("output_kb = 0", "limits.output_kb"),
    ],
)
def test_limits_out_of_range_name_the_limit(tmp_path: Path, line: str, field: str) -> None:
    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text(MANIFEST + f"\n[limits]\n{line}\n", "utf-8")
    assert f"field '{field}'" in str(load_error(pack))


def test_limits_have_documented_defaults(tmp_path: Path) -> None:
    limits = parse_manifest(make_pack(tmp_path) / "exercise.toml").limits
    assert (limits.wall_seconds, limits.memory_mb, limits.cpus) == (30, 512, 1)
    assert limits.processes == 256
    assert (limits.output_kb, limits.call_timeout_seconds) == (1024, 10)


def test_python_runner_needs_its_module(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, '[python]\nmodule = "demo"\n', "")
    assert "runner 'python' needs a [python] table" in str(load_error(pack))


def test_http_app_must_be_module_colon_attribute(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'runner = "python"', 'runner = "http-app"')
    replace_in_manifest(pack, '[python]\nmodule = "demo"\n', '[http_app]\napp = "app/main.py"\n')
    assert "field 'http_app.app'" in str(load_error(pack))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text("slug = \n", encoding="utf-8")
    error = load_error(pack)
    assert "exercise.toml" in str(error) and "not valid TOML" in str(error)


def test_slug_and_category_must_match_the_folders(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'slug = "demo-pack"', 'slug = "other-pack"')
    replace_in_manifest(pack, 'category = "security"', 'category = "api-design"')
    message = str(load_error(pack))
    assert "field 'slug'" in message and "folder name 'demo-pack'" in message
    assert "field 'category'" in message and "parent folder 'security'" in message


@pytest.mark.parametrize(
    ("remove", "expected"),
    [
        ("README.md", "README.md"),
        ("starter", "folder 'starter/' is missing"),
        ("solution", "folder 'solution/' is missing"),
        ("tests/test_demo.py", "no test_*.py file"),
    ],
)
def test_missing_parts_are_named(tmp_path: Path, remove: str, expected: str) -> None:
    pack = make_pack(tmp_path)
    target = pack / remove
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    assert expected in str(load_error(pack))


def test_a_required_file_missing_from_the_solution(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "solution" / "demo.py").unlink()
    error = load_error(pack)
    assert error.path == pack / "solution"
    assert "required file 'demo.py' is missing" in str(error)


def test_a_file_the_manifest_does_not_allow(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "starter" / "extra.py").write_text("x = 1\n", encoding="utf-8")
    error = load_error(pack)
    assert error.path == pack / "starter" and "'extra.py' is not allowed here" in str(error)


def test_a_non_utf8_file_is_named(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "solution" / "demo.py").write_bytes(b"name = '\xff\xfe'\n")
    error = load_error(pack)
    assert error.path == pack / "solution" and "'demo.py' is not UTF-8" in str(error)


def test_dotdot_in_the_manifest_is_refused(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'files = ["demo.py"]', 'files = ["demo.py", "../secret.py"]')
    message = str(load_error(pack))
    assert "field 'submission.files'" in message and "'../secret.py'" in message


def test_required_must_be_allowed_by_files(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    replace_in_manifest(pack, 'required = ["demo.py"]', 'required = ["other.py"]')
    assert "'other.py' is not matched" in str(load_error(pack))


def test_mutant_without_must_fail(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    spec = pack / "mutants" / "wrong" / "mutant.toml"
    spec.write_text('description = "no expectations"\n', encoding="utf-8")
    error = load_error(pack)
    assert error.path == spec and "field 'must_fail': Field required" in str(error)


def test_mutant_with_empty_must_fail(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    spec = pack / "mutants" / "wrong" / "mutant.toml"
    spec.write_text("must_fail = []\n", encoding="utf-8")
    assert "field 'must_fail'" in str(load_error(pack))


def test_mutant_without_mutant_toml(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "mutants" / "wrong" / "mutant.toml").unlink()
    error = load_error(pack)
    assert error.path.name == "mutant.toml" and "file is missing" in str(error)


def test_mutant_files_follow_the_submission_rules(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    (pack / "mutants" / "wrong" / "demo.py").unlink()
    error = load_error(pack)
    assert error.path == pack / "mutants" / "wrong"
    assert "required file 'demo.py' is missing" in str(error)


def test_discover_skips_mutant_folders(tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    # A mutant that happens to hold an exercise.toml is still not a pack.
    (pack / "mutants" / "wrong" / "exercise.toml").write_text(MANIFEST, encoding="utf-8")
    assert discover([tmp_path]) == [pack.resolve()]


def test_discover_names_a_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=re.escape("no such folder")):
        discover([tmp_path / "nowhere"])


RULES = SubmissionRules(files=["app/*.py", "README.md"], required=["app/main.py"], max_files=3,
                   max_bytes=100)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../main.py", "'..'"),
        ("app/../../etc/passwd", "'..'"),
        ("/etc/passwd", "absolute paths"),
        ("app\\main.py", "backslashes"),
        ("", "empty"),
        (" app/main.py", "surrounding spaces"),
    ],
)
def test_bad_paths_are_refused(name: str, expected: str) -> None:
    with pytest.raises(SubmissionError, match=re.escape(expected)):
        check_path(name)


def test_submission_rules_name_the_problem() -> None:
    assert check_files({"app/main.py": "x"}, RULES) == {"app/main.py": "x"}
    with pytest.raises(SubmissionError, match=re.escape("4 files submitted; the limit is 3")):
        check_files({f"app/m{i}.py": "" for i in range(3)} | {"app/main.py": ""}, RULES)
    with pytest.raises(SubmissionError, match=re.escape("101 bytes submitted; the limit is 100")):
        check_files({"app/main.py": "x" * 101}, RULES)
    with pytest.raises(SubmissionError, match=re.escape("'app/sub/x.py' is not allowed here")):
        check_files({"app/main.py": "", "app/sub/x.py": ""}, RULES)
    with pytest.raises(SubmissionError, match=re.escape("required file 'app/main.py' is missing")):
        check_files({"README.md": "hi"}, RULES)
    with pytest.raises(SubmissionError, match=re.escape("'..'")):
        check_files({"app/main.py": "", "app/../x.py": ""}, RULES)


def test_bytes_are_counted_as_utf8() -> None:
    # 50 two-byte characters are 100 bytes: at the limit, not over it.
    assert check_files({"app/main.py": "é" * 50}, RULES)
    with pytest.raises(SubmissionError, match=re.escape("102 bytes")):
        check_files({"app/main.py": "é" * 51}, RULES)


def test_output_policy_defaults_to_public(tmp_path: Path) -> None:
    assert parse_manifest(make_pack(tmp_path) / "exercise.toml").scoring.output == "public"


@pytest.mark.parametrize("policy", ["public", "full", "none"])
def test_output_policy_takes_each_documented_value(tmp_path: Path, policy: str) -> None:
    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text(MANIFEST + f'\n[scoring]\noutput = "{policy}"\n', "utf-8")
    assert parse_manifest(pack / "exercise.toml").scoring.output == policy


@pytest.mark.parametrize("value", ['"everything"', '"PUBLIC"', "true", "1"])
def test_an_unknown_output_policy_names_the_field(tmp_path: Path, value: str) -> None:
    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text(MANIFEST + f"\n[scoring]\noutput = {value}\n", "utf-8")
    message = str(load_error(pack))
    assert "field 'scoring.output'" in message and "public" in message


def test_the_grading_request_carries_the_output_policy(tmp_path: Path) -> None:
    from grader.sandbox_grading import build_request
    from sandbox.limits import SandboxLimits

    pack = make_pack(tmp_path)
    (pack / "exercise.toml").write_text(MANIFEST + '\n[scoring]\noutput = "none"\n', "utf-8")
    request = build_request(load_pack(pack), {"demo.py": ""}, SandboxLimits())
    assert request.config.output == "none"
    default = build_request(load_pack(make_pack(tmp_path / "b")), {}, SandboxLimits())
    assert default.config.output == "public"
