"""A pack's tests as pytest would collect them, read with `ast` (nothing is
imported or run): for `grader exercises lint`.

Each TestFunction carries what the harness reports for it (grader_harness.results):
its id (`tests/test_a.py::test_x`), its name (the docstring's first line, else
the function's name), whether it is parametrized (then both get a `[case-id]`
nobody can know without running it), and its closest `points` and `hint`
markers. matches() says whether a must_fail entry names it, as
grader.selftest does on real reports.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader.selftest import _matches

# The folders of tests, named as the harness names them in test ids.
TEST_FOLDERS = ("tests", "public_tests")


@dataclass(frozen=True)
class Mark:
    name: str  # "points", "hint", "parametrize", ...
    args: tuple[ast.expr, ...]
    keywords: dict[str, ast.expr] = field(default_factory=dict, compare=False)
    line: int = 0


@dataclass(frozen=True)
class TestFunction:
    __test__ = False  # not a pytest test class, despite the name

    file: Path
    line: int
    function: str  # the bare function name
    id: str  # tests/test_a.py::Class::test_x, without any [case-id]
    name: str  # as reported, without any [case-id]
    public: bool
    parametrized: bool
    has_docstring: bool
    marks: tuple[Mark, ...]  # closest first: function, class(es), module

    def closest(self, name: str) -> Mark | None:
        return next((m for m in self.marks if m.name == name), None)


def _mark(node: ast.expr) -> Mark | None:
    """`pytest.mark.x(...)`, `mark.x(...)` or a bare `pytest.mark.x`."""
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call else node
    if not isinstance(target, ast.Attribute) or not ast.unparse(target.value).endswith("mark"):
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg} if call else {}
    return Mark(target.attr, tuple(call.args) if call else (), keywords, node.lineno)


def _pytestmark(body: list[ast.stmt]) -> list[Mark]:
    marks: list[Mark] = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            value = stmt.value
            items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            marks.extend(m for m in map(_mark, items) if m)
    return marks


def _param_fixtures(tree: ast.Module) -> set[str]:
    """Fixtures declared with params=...: every test using one is parametrized."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and ast.unparse(dec.func).endswith("fixture") and any(
                    k.arg == "params" for k in dec.keywords
                ):
                    names.add(node.name)
    return names


def parse_file(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None


def _is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py")


def test_files(pack: Path) -> list[tuple[str, Path, Path]]:
    """(folder name, folder, file) of every test module, sorted."""
    found = []
    for folder in TEST_FOLDERS:
        root = pack / folder
        for path in sorted(root.rglob("*.py")) if root.is_dir() else []:
            parts = path.relative_to(root).parts
            if _is_test_file(path) and not any(p.startswith((".", "__")) for p in parts[:-1]):
                found.append((folder, root, path))
    return found


def collect(pack: Path) -> list[TestFunction]:
    """Every test function of tests/ and public_tests/ (unparsable files skipped:
    lint reports those separately)."""
    params: set[str] = set()
    modules = []
    for folder, root, path in test_files(pack):
        tree = parse_file(path)
        if tree is not None:
            modules.append((folder, root, path, tree))
            params |= _param_fixtures(tree)
    for folder in TEST_FOLDERS:
        for conftest in (pack / folder).rglob("conftest.py") if (pack / folder).is_dir() else []:
            tree = parse_file(conftest)
            params |= _param_fixtures(tree) if tree else set()
    found: list[TestFunction] = []
    for folder, root, path, tree in modules:
        prefix = f"{folder}/{path.relative_to(root).as_posix()}"
        found.extend(_walk(tree.body, path, prefix, folder == "public_tests",
                           _pytestmark(tree.body), params))
    return found


def _walk(body: list[ast.stmt], path: Path, prefix: str, public: bool,
          outer: list[Mark], params: set[str]) -> list[TestFunction]:
    found: list[TestFunction] = []
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = [m for m in map(_mark, node.decorator_list) if m] + _pytestmark(node.body)
            found.extend(_walk(node.body, path, f"{prefix}::{node.name}", public,
                               own + outer, params))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            marks = tuple([m for m in map(_mark, node.decorator_list) if m] + outer)
            doc = (ast.get_docstring(node) or "").strip()
            arguments = {a.arg for a in node.args.args + node.args.kwonlyargs}
            found.append(TestFunction(
                file=path, line=node.lineno, function=node.name,
                id=f"{prefix}::{node.name}",
                name=doc.splitlines()[0].strip() if doc else node.name,
                public=public,
                parametrized=any(m.name == "parametrize" for m in marks) or bool(
                    arguments & params),
                has_docstring=bool(doc), marks=marks,
            ))  # fmt: skip
    return found


def matches(test: TestFunction, wanted: str) -> bool:
    """Whether must_fail's `wanted` names this test in some report (selftest._matches).

    A parametrized test is reported once per case, `test_x[case-id]`: an entry
    naming one case matches whatever the case id, the bare name matches nothing.
    """
    if test.parametrized:
        if not (wanted.endswith("]") and "[" in wanted):
            return False
        wanted = wanted[: wanted.rindex("[")].rstrip()
    return _matches(test.id, test.name, wanted)
