"""Splitting and allow-listing students' SQL files (pure)."""

from __future__ import annotations

import pytest

from grader_harness.sql.statements import (
    SqlFileError,
    index_statements,
    single_query,
    split_statements,
)


def test_split_respects_quotes_comments_and_dollar_quotes() -> None:
    text = """
    -- a comment; with a semicolon
    select 'a;b', "we;ird" from t; /* block ; comment */
    select $$x;y$$, $tag$ ; $tag$;
    select 'it''s; fine'
    """
    assert split_statements(text) == [
        "select 'a;b', \"we;ird\" from t",
        "select $$x;y$$, $tag$ ; $tag$",
        "select 'it''s; fine'",
    ]


@pytest.mark.parametrize("text", ["select 'open", "select /* never closed", "select $q$ open"])
def test_unclosed_quotes_and_comments_are_refused(text: str) -> None:
    with pytest.raises(SqlFileError, match="never closed"):
        split_statements(text)


def test_single_query() -> None:
    assert single_query("  WITH x AS (select 1) select * from x;\n").startswith("WITH")
    with pytest.raises(SqlFileError, match="exactly one query; it holds 2"):
        single_query("select 1; select 2")
    with pytest.raises(SqlFileError, match="must be a SELECT"):
        single_query("delete from orders")


def test_index_statements_allow_only_create_index() -> None:
    ok = index_statements(
        "create index orders_customer on orders (customer_id);\n"
        "CREATE UNIQUE INDEX IF NOT EXISTS u ON users (lower(email)) WHERE active;"
    )
    assert len(ok) == 2
    for bad, says in [
        ("drop table orders", "only CREATE INDEX"),
        ("create index i on orders (a); alter role student superuser", "statement 2"),
        ("create index i on orders (pg_sleep(10))", "'pg_sleep' is not allowed"),
        ("create index concurrently i on orders (a)", "only CREATE INDEX"),
        ("create index i on orders (a) tablespace pg_default", "'tablespace'"),
        ("create index i on reference_main.orders (a)", "without a schema"),
        ('create index i on only "reference_main" . orders (a)', "without a schema"),
    ]:
        with pytest.raises(SqlFileError, match=says):
            index_statements(bad)
    with pytest.raises(SqlFileError, match="at most 5"):
        index_statements("create index a on t (x);" * 6)
