"""Splitting a student's SQL file into statements and checking what they are.

Queries run as a role that may only SELECT, in a read-only transaction, so
the database itself refuses anything else; these checks exist to give a clear
message ("query.sql must hold one SELECT"). DDL files are different: an
index can only be created by the table's owner, so index statements run as
that (non-superuser) role, and here the allow-list is the security boundary:
one `CREATE INDEX` per statement, nothing else.
"""

from __future__ import annotations

import re


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


_QUERY_START = re.compile(r"^\(*\s*(select|with|values|table)\b", re.IGNORECASE)
_CREATE_INDEX = re.compile(
    r"^create\s+(unique\s+)?index\s+(if\s+not\s+exists\s+)?[A-Za-z_][\w$]*\s+on\s+",
    re.IGNORECASE,
)
# The table must be the dataset's own: a schema-qualified name could reach
# another schema (the reference's tables have another owner anyway).
_QUALIFIED_TABLE = re.compile(
    r'^create\s+(unique\s+)?index\s+(if\s+not\s+exists\s+)?[A-Za-z_][\w$]*\s+on\s+'
    r'(only\s+)?("[^"]*"|[A-Za-z_][\w$]*)\s*\.',
    re.IGNORECASE,
)
# Words that have no business in an index definition: they would let an
# "index" statement do something else as the table's owner.
_FORBIDDEN_IN_INDEX = re.compile(
    r"\b(concurrently|tablespace|grant|revoke|alter|drop|copy|execute|do|call|set|reset"
    r"|analyze|vacuum|pg_\w+|dblink\w*|lo_\w+)\b",
    re.IGNORECASE,
)


def single_query(text: str, *, filename: str = "query.sql") -> str:
    statements = split_statements(text)
    if len(statements) != 1:
        raise SqlFileError(f"{filename} must hold exactly one query; it holds {len(statements)}")
    if not _QUERY_START.match(statements[0]):
        raise SqlFileError(f"{filename} must be a SELECT (or WITH ... SELECT) query")
    return statements[0]


def index_statements(text: str, *, filename: str = "indexes.sql", limit: int = 5) -> list[str]:
    statements = split_statements(text)
    if len(statements) > limit:
        raise SqlFileError(f"{filename} holds {len(statements)} statements; at most {limit}")
    for number, statement in enumerate(statements, start=1):
        if not _CREATE_INDEX.match(statement):
            raise SqlFileError(f"{filename}, statement {number}: only CREATE INDEX is allowed")
        if _QUALIFIED_TABLE.match(statement):
            raise SqlFileError(
                f"{filename}, statement {number}: name the table without a schema (ON orders)"
            )
        bad = _FORBIDDEN_IN_INDEX.search(statement)
        if bad:
            raise SqlFileError(
                f"{filename}, statement {number}: '{bad.group(0)}' is not allowed in an index"
            )
    return statements
