"""A database error in words that quote nothing: its SQLSTATE class.

PostgreSQL's message text can carry the values a query touched: a cast that
fails prints the value (`invalid input syntax for type integer: "x42"`), a
failed lookup prints the name. A query can build that value from a hidden
test's parameters or from any row, so for hidden tests the harness shows
only the class of the error (the first two characters of its SQLSTATE,
PostgreSQL manual, appendix A) and a fixed sentence; never the text, never
the full five-character code (each code is one more bit a query could send).
"""

from __future__ import annotations

CLASSES = {
    "00": "successful completion",
    "01": "warning",
    "02": "no data",
    "03": "SQL statement not yet complete",
    "08": "connection exception",
    "09": "triggered action exception",
    "0A": "feature not supported",
    "0B": "invalid transaction initiation",
    "0F": "locator exception",
    "0L": "invalid grantor",
    "0P": "invalid role specification",
    "0Z": "diagnostics exception",
    "20": "case not found",
    "21": "cardinality violation",
    "22": "data exception",
    "23": "integrity constraint violation",
    "24": "invalid cursor state",
    "25": "invalid transaction state",
    "26": "invalid SQL statement name",
    "27": "triggered data change violation",
    "28": "invalid authorization specification",
    "2B": "dependent privilege descriptors still exist",
    "2D": "invalid transaction termination",
    "2F": "SQL routine exception",
    "34": "invalid cursor name",
    "38": "external routine exception",
    "39": "external routine invocation exception",
    "3B": "savepoint exception",
    "3D": "invalid catalog name",
    "3F": "invalid schema name",
    "40": "transaction rollback",
    "42": "syntax error or access rule violation",
    "44": "WITH CHECK OPTION violation",
    "53": "insufficient resources",
    "54": "program limit exceeded",
    "55": "object not in prerequisite state",
    "57": "operator intervention",
    "58": "system error",
    "72": "snapshot failure",
    "F0": "configuration file error",
    "HV": "foreign data wrapper error",
    "P0": "PL/pgSQL error",
    "XX": "internal error",
}
# Classes whose messages quote the data being processed (a value that did
# not convert, a key that is duplicated): shown as a class even where the
# rest of PostgreSQL's text is the student's to read.
DATA_CLASSES = frozenset({"22", "23"})


def error_class(sqlstate: str | None) -> str | None:
    """The class (first two characters) of a well-formed SQLSTATE, else None."""
    if sqlstate is None or len(sqlstate) != 5 or not sqlstate.isalnum():
        return None
    return sqlstate[:2].upper()


def describe(sqlstate: str | None) -> str:
    """E.g. 'data exception (SQLSTATE class 22)'; no text of the error itself."""
    code = error_class(sqlstate)
    if code is None:
        return "a database error without an SQLSTATE"
    return f"{CLASSES.get(code, 'database error')} (SQLSTATE class {code})"
