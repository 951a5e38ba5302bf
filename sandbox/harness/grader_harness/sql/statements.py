"""Checking a student's SQL files with PostgreSQL's own grammar.

pglast wraps the parser of PostgreSQL 15 (libpg_query 15, the server's own
version), so a file is read here exactly as the server will read it: quotes,
dollar quotes, comments, `U&"..."` escapes, several statements on one line.
Regular expressions guessed at that and got it wrong both ways (they refused
a keyword inside a string literal and did not see escaped names).

These checks are not the security boundary; PostgreSQL's privileges are:
queries run as a role that may only SELECT, in a read-only transaction;
index files run as the student's tables' owner, a role that is no superuser
and reaches nothing outside the student's own schemas
(tests/harness/test_sql_boundary.py sends both roles hostile statements
directly). The checks give clear messages and keep an index file to indexes:
as the owner, any other statement could change the student's own rows or
statistics. What runs is what was checked: an index statement is sent as
printed back from the checked tree, one prepared statement at a time.

split_statements() is the plain splitter for the exercise's own trusted
files (data/*.sql); students' files never go through it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from pglast import ast, parse_sql  # type: ignore[import-untyped]
from pglast.parser import ParseError, scan  # type: ignore[import-untyped]
from pglast.stream import RawStream  # type: ignore[import-untyped]

# Built-in access methods; an extension's (bloom, ...) is not installed anyway.
ACCESS_METHODS = ("btree", "hash", "gin", "gist", "spgist", "brin")
INDEX_FORM = (
    "CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table [USING method] (...) "
    "[INCLUDE (...)] [WITH (...)] [WHERE ...]"
)
QUERY_FORM = "one SELECT (or WITH ... SELECT, VALUES, TABLE)"
# Class names whose words do not spell the SQL command.
_KINDS = {"VariableSetStmt": "SET", "VariableShowStmt": "SHOW", "CreateStmt": "CREATE TABLE",
          "RuleStmt": "CREATE RULE", "IndexStmt": "CREATE INDEX", "VacuumStmt": "VACUUM/ANALYZE",
          "SelectStmt": "SELECT"}  # fmt: skip


class SqlFileError(ValueError):
    """A submitted SQL file the runner will not execute; says which statement."""


def split_statements(text: str) -> list[str]:
    """Statements of a SQL text, split on top-level semicolons.

    Knows quotes ('...', "..."), dollar quotes ($tag$...$tag$) and comments
    (-- and /* */), so a semicolon inside them does not split. Comments are
    dropped; empty statements are skipped.
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            current.append(" ")
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise SqlFileError("a /* comment is never closed")
            i = end + 2
            current.append(" ")
            continue
        if ch in ("'", '"'):
            end = i + 1
            while True:
                end = text.find(ch, end)
                if end < 0:
                    raise SqlFileError(f"a {ch} quote is never closed")
                if text.startswith(ch * 2, end):  # '' or "" is an escaped quote
                    end += 2
                    continue
                break
            current.append(text[i : end + 1])
            i = end + 1
            continue
        dollar = re.match(r"\$([A-Za-z_]\w*)?\$", text[i:]) if ch == "$" else None
        if dollar:
            tag = dollar.group(0)
            end = text.find(tag, i + len(tag))
            if end < 0:
                raise SqlFileError(f"a {tag} quote is never closed")
            current.append(text[i : end + len(tag)])
            i = end + len(tag)
            continue
        if ch == ";":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def _kind(node: Any) -> str:
    """A statement in SQL words: DropStmt -> DROP, CreateFunctionStmt -> CREATE FUNCTION."""
    name = type(node).__name__
    words = re.findall(r"[A-Z][a-z]*", name.removesuffix("Stmt"))
    return _KINDS.get(name, " ".join(words).upper())


def _parse(text: str, filename: str) -> list[tuple[Any, str]]:
    """(statement node, its source text) for each statement of a file."""
    try:
        raws = parse_sql(text)
    except ParseError as exc:
        message, index = exc.args[0], exc.args[1] if len(exc.args) > 1 else None
        # pglast's index is a character offset for ASCII text only.
        ascii_index = isinstance(index, int) and text.isascii()
        where = f" (line {text.count(chr(10), 0, index) + 1})" if ascii_index else ""
        raise SqlFileError(f"{filename}{where}: {message}") from None
    parsed = []
    for raw in raws:
        end = raw.stmt_location + raw.stmt_len if raw.stmt_len else len(text)
        source = text[raw.stmt_location : end]
        # Without the comments around it: a trailing `-- ...` would swallow
        # whatever a caller writes after the statement.
        tokens = [t for t in scan(source) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
        parsed.append((raw.stmt, source[tokens[0].start : tokens[-1].end + 1]))
    return parsed


def _walk(root: Any) -> Iterator[Any]:
    """Every node below root (iterative: a deep expression must not exhaust the stack)."""
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, ast.Node):
            yield value
            stack.extend(getattr(value, member) for member in value)
        elif isinstance(value, tuple):
            stack.extend(value)


def single_query(text: str, *, filename: str = "query.sql") -> str:
    """The file's one query, as the student wrote it (SqlFileError if it is not one)."""
    statements = _parse(text, filename)
    if len(statements) != 1:
        raise SqlFileError(f"{filename} must hold exactly one query; it holds {len(statements)}")
    node, source = statements[0]
    if not isinstance(node, ast.SelectStmt):
        raise SqlFileError(f"{filename} must hold {QUERY_FORM} query; it holds {_kind(node)}")
    for part in _walk(node):
        if isinstance(part, ast.SelectStmt) and part.intoClause is not None:
            raise SqlFileError(f"{filename}: SELECT ... INTO creates a table; write a plain SELECT")
        if isinstance(part, ast.CommonTableExpr) and not isinstance(part.ctequery, ast.SelectStmt):
            raise SqlFileError(
                f"{filename}: WITH {part.ctename} AS ({_kind(part.ctequery)} ...) changes data; "
                "a query may only read: every WITH part must be a SELECT"
            )
    return source


def _check_index(node: Any, where: str, schemas: Collection[str]) -> None:
    if not isinstance(node, ast.IndexStmt):
        raise SqlFileError(f"{where}: {_kind(node)} is not allowed; an index file holds only "
                           f"CREATE INDEX statements ({INDEX_FORM})")  # fmt: skip
    if node.concurrent:
        raise SqlFileError(f"{where}: CONCURRENTLY is not allowed (nothing else runs while your "
                           "indexes are built); write CREATE INDEX without it")  # fmt: skip
    if node.tableSpace is not None:
        raise SqlFileError(f"{where}: TABLESPACE is not allowed; leave it out")
    if node.accessMethod not in ACCESS_METHODS:
        raise SqlFileError(f"{where}: USING {node.accessMethod} is not allowed; use one of "
                           + ", ".join(ACCESS_METHODS))  # fmt: skip
    table = node.relation
    if table.catalogname is not None:
        raise SqlFileError(f"{where}: name the table without a database: ON {table.relname}")
    if table.schemaname is not None and table.schemaname not in schemas:
        own = f" or {next(iter(schemas))}.{table.relname} (your tables' schema)" if schemas else ""
        raise SqlFileError(f"{where}: the schema {table.schemaname!r} is not yours; name the "
                           f"table {table.relname}{own}")  # fmt: skip


def index_statements(text: str, *, filename: str = "indexes.sql", limit: int = 5,
                     schemas: Collection[str] = ()) -> list[str]:  # fmt: skip
    """The file's CREATE INDEX statements, each checked and printed back from its tree.

    `schemas` are the student's own schemas (one per dataset): a table named
    with one of them is accepted and the name sent without it, so the file
    builds its indexes on every dataset's own table (the caller sets
    search_path). Any other schema is refused.
    """
    statements = _parse(text, filename)
    if len(statements) > limit:
        raise SqlFileError(f"{filename} holds {len(statements)} statements; at most {limit}")
    printed = []
    for number, (node, _source) in enumerate(statements, start=1):
        where = f"{filename}, statement {number}"
        _check_index(node, where, schemas)
        node.relation.schemaname = None
        try:
            printed.append(RawStream()(node))
        except (NotImplementedError, ValueError, KeyError) as exc:  # a form pglast cannot print
            raise SqlFileError(f"{where}: this form cannot be checked ({exc}); write it plainly "
                               "as " + INDEX_FORM) from None  # fmt: skip
    return printed
