"""python -m grader_harness.precompile FOLDER...: an exercise's tests compiled in its image.

When a grading collects the tests, pytest rewrites the asserts of every test
module and conftest.py (parse, rewrite, compile: about 20 ms per 200-line
module on these machines), and Python compiles any helper module they import.
The sandbox's filesystem is read-only and the harness writes no bytecode, so
every cold grading paid for that again, and so did a warm sandbox's start.
The exercise image's build runs this once (sandbox/images/exercise/*Dockerfile):

- each test module and conftest.py (pytest's default `python_files`, which
  the harness keeps: it reads no configuration file) gets pytest's own cache
  of its rewritten code, in the file and format pytest looks for;
- every module gets Python's ordinary bytecode (compileall).

Nothing of the author's code runs here: it is only parsed and compiled. The
rewrite is the one a grading makes (no configuration, so no assertion pass
hook). pytest checks each cache against its source's hash, and Python its
bytecode against the source, so a stale file is never used. A failure costs
only the time back, never the build: it prints a note and exits 0.
"""

from __future__ import annotations

import ast
import compileall
import fnmatch
import importlib.util
import sys
from pathlib import Path

TEST_FILES = ("test_*.py", "*_test.py", "conftest.py")


def rewritten_cache(source_file: Path) -> Path:
    """Write pytest's rewritten-assert cache of one module; returns its path."""
    # pytest's internals, pinned with the image (runtime/requirements.txt):
    # the same functions its import hook calls.
    from _pytest.assertion.rewrite import PYC_TAIL, _write_pyc_fp, get_cache_dir, rewrite_asserts

    source = source_file.read_bytes()
    name = str(source_file)
    tree = ast.parse(source, filename=name)
    rewrite_asserts(tree, source, name, None)
    code = compile(tree, name, "exec", dont_inherit=True)
    cache = get_cache_dir(source_file)
    cache.mkdir(exist_ok=True)
    target = cache / (source_file.name[: -len(".py")] + PYC_TAIL)
    with open(target, "wb") as handle:
        _write_pyc_fp(handle, importlib.util.source_hash(source), code)
    return target


def precompile(folder: Path) -> int:
    """Both caches for every module below `folder`; how many were rewritten."""
    rewritten = 0
    for path in sorted(folder.rglob("*.py")):
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in TEST_FILES):
            rewritten_cache(path)
            rewritten += 1
    compileall.compile_dir(folder, quiet=2)
    return rewritten


def main(argv: list[str]) -> int:
    for folder in (Path(arg) for arg in argv):
        if not folder.is_dir():
            continue  # an exercise without public tests
        try:
            count = precompile(folder)
        except Exception as exc:  # a syntax error, another pytest: graded as before
            print(f"grader_harness.precompile: {folder} left to compile at grading time: "
                  f"{exc!r}", file=sys.stderr)  # fmt: skip
            continue
        print(f"grader_harness.precompile: {count} test modules of {folder} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
