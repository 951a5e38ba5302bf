"""grader_harness.precompile: the exercise image carries its tests compiled.

Run on the host; tests/sandbox/test_sandbox_images.py looks inside a real image.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader_harness.precompile import main
from tests.helpers.host_harness import HARNESS_ROOT, write_tests

TESTS = {
    "conftest.py": "import pytest\n@pytest.fixture\ndef two():\n    return 2\n",
    "test_sum.py": "from helpers import one\ndef test_sum(two):\n    total = one() + 1\n"
                   "    assert total == two + 1\n",
    "helpers.py": "def one():\n    return 1\n",
}
# pytest with its run-time rewrite broken: only a cache written ahead can load the tests.
NO_REWRITE = """
import os, sys
import pytest
import _pytest.assertion.rewrite as rewrite
def refuse(*args, **kwargs):
    raise RuntimeError("rewritten at run time")
rewrite._rewrite_test = refuse
sys.dont_write_bytecode = True  # as in the sandbox
sys.exit(pytest.main([sys.argv[1], "-c", os.devnull, "--rootdir", sys.argv[1],
                      "-p", "no:cacheprovider", "-q"]))
"""


def run_pytest(folder: Path) -> str:
    """What pytest printed (stdout and stderr) with its run-time rewrite refused."""
    ran = subprocess.run([sys.executable, "-c", NO_REWRITE, str(folder)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(folder),
                               "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})  # fmt: skip
    return f"exit {ran.returncode}\n{ran.stdout}{ran.stderr}"


def test_pytest_loads_the_precompiled_tests_with_their_asserts_rewritten(tmp_path: Path) -> None:
    folder = write_tests(tmp_path / "tests", TESTS)
    assert "rewritten at run time" in run_pytest(folder)  # the control: no cache, no run

    assert main([str(folder), str(tmp_path / "no-public-tests")]) == 0
    caches = sorted(p.name for p in (folder / "__pycache__").iterdir())
    assert any(n.startswith("test_sum.") and "-pytest-" in n for n in caches), caches
    assert any(n.startswith("conftest.") and "-pytest-" in n for n in caches), caches
    assert any(n.startswith("helpers.") and "-pytest-" not in n for n in caches), caches
    assert not any(n.startswith("helpers.") and "-pytest-" in n for n in caches), caches

    printed = run_pytest(folder)
    assert printed.startswith("exit 1\n") and "rewritten at run time" not in printed, printed
    assert "assert 2 == (2 + 1)" in printed  # pytest's introspection: the rewrite is in the cache


def test_a_changed_test_is_never_run_from_its_stale_cache(tmp_path: Path) -> None:
    folder = write_tests(tmp_path / "tests", TESTS)
    main([str(folder)])
    source = folder / "test_sum.py"
    source.write_text(source.read_text().replace("two + 1", "two"))  # now it passes
    assert "rewritten at run time" in run_pytest(folder)  # the cache was refused


def test_a_module_that_does_not_compile_is_left_to_grading_time(tmp_path: Path) -> None:
    folder = write_tests(tmp_path / "tests", {**TESTS, "test_broken.py": "def test(:\n"})
    ran = subprocess.run([sys.executable, "-m", "grader_harness.precompile", str(folder)],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)})  # fmt: skip
    assert ran.returncode == 0  # never fails the image's build
    assert "left to compile at grading time" in ran.stderr and "SyntaxError" in ran.stderr
