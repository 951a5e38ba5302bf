"""The reference solution's index files rewritten the ways students write them.

`grader exercises check` grades an sql exercise's reference solution again
with its index files rewritten: indexes left unnamed, names that need quotes,
tables named with the student's schema. Each variant must score full marks
too, or the statement checks refuse correct answers (grader.selftest makes
one case of each).

The rewrite goes through PostgreSQL's own grammar (pglast), so a variant is
what the server would parse, not a text substitution.
"""

from __future__ import annotations

INDEX_VARIANTS = ("unnamed", "quoted", "qualified")


def rewrite_index_file(text: str, variant: str, schema: str) -> str:
    """An index file with every statement rewritten one way (one of INDEX_VARIANTS)."""
    if variant not in INDEX_VARIANTS:
        raise ValueError(f"unknown index variant {variant!r}: one of {', '.join(INDEX_VARIANTS)}")
    # pglast comes with the harness extra; only sql exercises with index files need it.
    from pglast import ast, parse_sql  # type: ignore[import-untyped]
    from pglast.stream import RawStream  # type: ignore[import-untyped]

    printed = []
    for number, raw in enumerate(parse_sql(text), start=1):
        node = raw.stmt
        if isinstance(node, ast.IndexStmt):
            if variant == "unnamed":
                node.idxname = None
            elif variant == "quoted":  # a space, capitals and a quote: must be quoted
                node.idxname = f'Solution "Index" {number}'
            else:  # qualified
                node.relation.schemaname = schema
        printed.append(RawStream()(node) + ";")
    return "\n".join(printed) + "\n"
