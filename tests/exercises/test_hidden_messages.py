"""Hidden tests' messages never quote what the student's code answered.

Under the default `hidden_messages = "author"` the student reads the message
of a failing hidden test. The student's app or function received that test's
inputs and can echo them into anything it answers (a header, a body, an
exception's text), so a message that quotes the answer would carry the hidden
inputs out (docs/authoring.md section 5, "Messages"). This guard reads every
hidden test with the ast module (no Docker, nothing imported) and fails on a
message that interpolates an obviously student-controlled value:

    .text .content .headers .message .traceback   of a response or an exception
    .json()                                        a response's body
    location, media_type(...)                      a header the app chose
    {response} / {response!r}                      the reply (or exception) itself

Wrapped in len(), type(), bool() or isinstance() such a value is fine (a count
or a type quotes nothing), and so is one only compared (`x if r.text else y`).
A reviewed case opts out with a comment on the reported line:
`# shown: <why it is safe>`.

Messages are: an assert's message, the arguments of pytest.fail(), Feedback()
and AssertionError(), and `what` arguments (the description helpers such as
check_problem(response, 404, what) put into their messages).
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HIDDEN_TESTS = sorted(REPO.glob("exercises/*/*/tests/**/*.py"))

STUDENT_ATTRIBUTES = {"text", "content", "headers", "message", "traceback"}
STUDENT_NAMES = {"location"}
STUDENT_CALLS = {"media_type"}
REPLY_NAMES = {"response"}
# Their result is a number, a type or a bool: it quotes nothing.
HARMLESS_WRAPPERS = {"len", "type", "bool", "isinstance"}
HARMLESS_ATTRIBUTES = {"status_code"}
MESSAGE_CALLS = {"fail", "Feedback", "AssertionError"}
WHAT = "what"
OPT_OUT = "# shown:"


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _what_positions(tree: ast.Module) -> dict[str, int]:
    """Functions of this module that take a `what` description: name -> index."""
    positions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [a.arg for a in node.args.posonlyargs + node.args.args]
            if WHAT in params:
                positions[node.name] = params.index(WHAT)
    return positions


def _messages(scope: ast.AST, what_at: dict[str, int]) -> list[ast.expr]:
    """Every expression in the scope that becomes (part of) a message."""
    found: list[ast.expr] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assert) and node.msg is not None:
            found.append(node.msg)
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if name in MESSAGE_CALLS:
                found.extend(node.args)
                found.extend(k.value for k in node.keywords)
                continue
            found.extend(k.value for k in node.keywords if k.arg == WHAT)
            index = what_at.get(name or "")
            if index is not None and index < len(node.args):
                found.append(node.args[index])
    return found


def _quoted(node: ast.AST, tainted: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, what) for each student-controlled value the expression quotes;
    `tainted` names hold such a value (see _tainted)."""
    hits: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call) and _called_name(node) in HARMLESS_WRAPPERS:
            return
        if isinstance(node, ast.Attribute) and node.attr in HARMLESS_ATTRIBUTES:
            return
        if isinstance(node, ast.Compare) or (
            isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
        ):
            return  # a decision, not a quote
        if isinstance(node, ast.IfExp):
            visit(node.body)
            visit(node.orelse)
            return
        if (
            isinstance(node, ast.FormattedValue)
            and isinstance(node.value, ast.Name)
            and node.value.id in REPLY_NAMES
        ):
            hits.append((node.lineno, f"the reply itself ({{{node.value.id}}})"))
        if isinstance(node, ast.Attribute) and node.attr in STUDENT_ATTRIBUTES:
            hits.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if isinstance(node.func, ast.Attribute) and name == "json":
                hits.append((node.lineno, ".json()"))
            elif name in STUDENT_CALLS:
                hits.append((node.lineno, f"{name}(...)"))
            elif isinstance(node.func, ast.Attribute) and _is_student(node.func.value):
                hits.append((node.lineno, f"the result of student.{name}()"))
        elif isinstance(node, ast.Name) and node.id in STUDENT_NAMES:
            hits.append((node.lineno, node.id))
        elif isinstance(node, ast.Name) and node.id in tainted:
            hits.append((node.lineno, f"{node.id} (it holds the student's answer)"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(node)
    return hits


def _is_student(node: ast.expr) -> bool:
    """`student`, the python runner's handle on the student's module."""
    return isinstance(node, ast.Name) and node.id == "student"


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _names(element)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []


def _tainted(scope: ast.AST, reviewed: set[int]) -> frozenset[str]:
    """Names a function assigns from a student-controlled value, directly or
    through another such name (`value = response.headers.get(...)`,
    `body = response.json()`, `status = body.get("status")`). A helper's return
    value is not followed: review what helpers return by hand. An assignment on
    a `# shown:` line is reviewed: its names hold nothing to hide."""
    tainted: set[str] = set()
    assignments = []
    for node in ast.walk(scope):
        if getattr(node, "lineno", None) in reviewed:
            continue
        if isinstance(node, ast.Assign):
            assignments += [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            assignments.append((node.target, node.value))
    changed = True
    while changed:
        changed = False
        for target, value in assignments:
            names = set(_names(target)) - tainted
            if names and _quoted(value, frozenset(tainted)):
                tainted |= names
                changed = True
    return frozenset(tainted)


def _opted_out(source: str) -> set[int]:
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        reason = token.string.removeprefix(OPT_OUT).strip()
        if token.type == tokenize.COMMENT and token.string.startswith(OPT_OUT) and reason:
            lines.add(token.start[0])  # the reason is not optional
    return lines


def leaks(source: str) -> list[tuple[int, str]]:
    """(line, what) for every message that quotes a student-controlled value."""
    tree = ast.parse(source)
    allowed = _opted_out(source)
    what_at = _what_positions(tree)
    found: set[tuple[int, str]] = set()
    scopes: list[ast.AST] = [tree]
    scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in scopes:
        tainted = _tainted(scope, allowed) if scope is not tree else frozenset()
        for message in _messages(scope, what_at):
            found.update(_quoted(message, tainted))
    return sorted(hit for hit in found if hit[0] not in allowed)


def test_the_catalogue_has_hidden_tests() -> None:
    assert len(HIDDEN_TESTS) >= 10


@pytest.mark.parametrize("path", HIDDEN_TESTS, ids=lambda p: str(p.relative_to(REPO)))
def test_hidden_messages_quote_nothing_the_student_controls(path: Path) -> None:
    found = leaks(path.read_text(encoding="utf-8"))
    where = [f"{path.relative_to(REPO)}:{line}: a message quotes {what}" for line, what in found]
    assert not where, (
        "hidden-test messages must not quote the student's reply (docs/authoring.md, "
        "section 5, Messages); say what the test decided, or mark a reviewed line with "
        "'# shown: <why>':\n" + "\n".join(where)
    )


# --- the guard itself ----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'assert r.status_code == 201, f"expected 201, got {r.text}"',
        "assert ok, f\"got {response.headers.get('location')!r}\"",
        'assert ok, f"Location should be /b/1, got {location!r}"',
        'assert ok, f"expected problem+json, got {media_type(r)}"',
        "assert ok, f\"status {body['x']} vs {r.json()['status']}\"",
        'assert ok, f"failed: {response!r}"',
        'raise Feedback(f"raised {exc.type} ({exc.message})")',
        'pytest.fail(f"traceback: {exc.traceback}")',
        'assert ok, "got " + r.text',
        "def check(r, status, what):\n    pass\ncheck(r, 404, f'GET {location}')",
        "sql.assert_same(a, b, what=f'from {r.content}')",
        "def t(r):\n    v = r.headers.get('retry-after')\n    assert ok, f'got {v!r}'",
        "def t(r):\n    body = r.json()\n    s = body.get('status')\n    assert ok, f'got {s}'",
        "def t(student):\n    out = student.hash_password('')\n    assert ok, f'got {out}'",
    ],
)
def test_guard_finds_quoted_replies(source: str) -> None:
    assert leaks(source)


@pytest.mark.parametrize(
    "source",
    [
        'assert r.status_code == 201, f"expected 201, got {r.status_code}"',
        'assert ok, f"the body has {len(r.json())} items, {len(r.text)} characters"',
        'assert ok, f"returned {type(result).__name__}"',
        'assert ok, "x" if r.headers.get("etag") else "no ETag"',
        'assert ok, f"Location should be /books/{book_id}"',
        'assert ok, f"got {location!r}"  # shown: location is the fixture\'s own URL',
        "client.get(f\"/x/{r.json()['id']}\")",
        'check(r.text, 404, f"GET /books/{book_id}")',
        "def t(r):\n    s = pick(r.json())  # shown: pick() names known values only\n"
        "    assert ok, f'got {s}'",
    ],
)
def test_guard_passes_clean_messages(source: str) -> None:
    assert leaks(source) == []


def test_guard_opt_out_needs_a_reason() -> None:
    assert leaks('assert ok, f"got {location!r}"  # shown:')
