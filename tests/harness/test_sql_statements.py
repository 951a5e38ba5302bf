"""Checking students' SQL files with PostgreSQL's grammar (pure: pglast, no server)."""

from __future__ import annotations

import pytest
from pglast import parse_sql  # type: ignore[import-untyped]

from grader_harness.sql.statements import (
    SqlFileError,
    index_statements,
    single_query,
    split_statements,
)

SCHEMAS = ("main", "alt")


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


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 1",
        "  WITH x AS (select 1) select * from x;\n",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) TABLE r",
        "VALUES (1, 'a'), (2, 'b')",
        "TABLE orders",
        "(SELECT 1) UNION (SELECT 2) ORDER BY 1",
        "SELECT 'delete from orders; drop table x' AS s",
        "SELECT $$ ; DROP TABLE orders $$",
        "SELECT id FROM orders WHERE created_at >= $1::date AND created_at < $1::date + 1",
        "SELECT U&\"\\0069d\" FROM orders",
    ],
)
def test_queries_accepted(text: str) -> None:
    assert single_query(text) == text.strip().rstrip(";")


def test_query_text_loses_surrounding_comments_only() -> None:
    text = "-- mine\nSELECT 1 /* inner */ + 2; -- trailing\n/* end */"
    assert single_query(text) == "SELECT 1 /* inner */ + 2"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("select 1; select 2", "must hold exactly one query; it holds 2"),
        ("select 1; /* hidden */ delete from orders", "exactly one query; it holds 2"),
        ("", "exactly one query; it holds 0"),
        ("-- nothing\n", "exactly one query; it holds 0"),
        ("delete from orders",
         r"one SELECT \(or WITH ... SELECT, VALUES, TABLE\) query; it holds DELETE"),
        ("do $$ begin perform 1; end $$", "it holds DO"),
        ("copy orders to stdout", "it holds COPY"),
        ("set role owner_sql", "it holds SET"),
        ("explain select 1", "it holds EXPLAIN"),
        ("WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone",
         r"WITH gone AS \(DELETE ...\) changes data"),
        ("WITH u AS (UPDATE orders SET total = 0 RETURNING id) SELECT 1", r"\(UPDATE ...\)"),
        ("WITH i AS (INSERT INTO orders DEFAULT VALUES RETURNING id) SELECT 1", r"\(INSERT ...\)"),
        ("SELECT * FROM (WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d) s",
         "changes data"),
        ("SELECT 1 INTO copy_of_it", "SELECT ... INTO creates a table"),
        ("selec 1", r"query.sql \(line 1\): syntax error at or near \"selec\""),
        ("select 'open", "unterminated quoted string"),
        ("select $q$ open", "unterminated dollar-quoted string"),
        ("select 1 /* never closed", "unterminated /\\* comment"),
    ],
)
def test_queries_refused_with_a_message(text: str, says: str) -> None:
    with pytest.raises(SqlFileError, match=says):
        single_query(text)


def test_a_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(SqlFileError, match=r"^q.sql \(line 3\): syntax error"):
        single_query("select 1\nfrom t\nwher x", filename="q.sql")


# (file text, what is sent to the server): printed back from the checked tree.
VALID_INDEXES = [
    ("create index orders_customer on orders (customer_id)",
     "CREATE INDEX orders_customer ON orders (customer_id)"),
    ("CREATE INDEX ON orders (customer_id, status, created_at);",
     "CREATE INDEX ON orders (customer_id, status, created_at)"),
    ('CREATE INDEX "Orders By Customer" ON "orders" ("customer_id")',
     'CREATE INDEX "Orders By Customer" ON orders (customer_id)'),
    ("create index if not exists i on orders (created_at) include (status, total)",
     "CREATE INDEX IF NOT EXISTS i ON orders (created_at) INCLUDE (status, total)"),
    ("create index on orders (customer_id) where status = 'do not ship; drop table orders'",
     "CREATE INDEX ON orders (customer_id) WHERE status = 'do not ship; drop table orders'"),
    ("create index on orders (lower(status), (total * 2))",
     "CREATE INDEX ON orders ((lower(status)), (total * 2))"),
    ("create index on main.orders (customer_id)", "CREATE INDEX ON orders (customer_id)"),
    ('create index on "main"."orders" (customer_id)', "CREATE INDEX ON orders (customer_id)"),
    ("create index on alt.orders (customer_id)", "CREATE INDEX ON orders (customer_id)"),
    ('create index on U&"\\006Dain".orders (id)', "CREATE INDEX ON orders (id)"),
    ("create unique index u on orders (id) nulls not distinct",
     "CREATE UNIQUE INDEX u ON orders (id) NULLS NOT DISTINCT"),
    ("create index on orders using HASH (status)", "CREATE INDEX ON orders USING hash (status)"),
    ("create index on orders using gin (to_tsvector('simple', status))",
     "CREATE INDEX ON orders USING gin ((to_tsvector('simple', status)))"),
    ("create index on orders using gist (created_at)",
     "CREATE INDEX ON orders USING gist (created_at)"),
    ("create index on orders using brin (created_at) with (pages_per_range = 16)",
     "CREATE INDEX ON orders USING brin (created_at) WITH (pages_per_range = 16)"),
    ("create index on orders (status text_pattern_ops, created_at desc nulls last)",
     "CREATE INDEX ON orders (status text_pattern_ops, created_at DESC NULLS LAST)"),
    ("create index on only orders (id) with (fillfactor = 100)",
     "CREATE INDEX ON ONLY orders (id) WITH (fillfactor = 100)"),
    ("/* ; drop table orders */ create index i on orders (id) -- ; drop table orders",
     "CREATE INDEX i ON orders (id)"),
    ("create index on orders (status collate \"C\") where status <> $$x'y$$",
     "CREATE INDEX ON orders (status COLLATE \"C\") WHERE status <> 'x''y'"),
]


@pytest.mark.parametrize(("text", "sent"), VALID_INDEXES, ids=[t for t, _ in VALID_INDEXES])
def test_valid_index_forms_are_accepted(text: str, sent: str) -> None:
    assert index_statements(text, schemas=SCHEMAS) == [sent]
    # Printing back keeps the meaning: the same tree, without the schema.
    original = parse_sql(text)[0].stmt
    original.relation.schemaname = None
    assert parse_sql(sent)[0].stmt == original


def test_several_statements_each_checked_and_counted() -> None:
    text = "create index a on t (x);\ncreate index b on t (y);\n" * 2
    assert len(index_statements(text, limit=4)) == 4
    with pytest.raises(SqlFileError, match=r"indexes\.sql holds 5 statements; at most 4"):
        index_statements(text + "create index c on t (z)", limit=4)
    assert index_statements("-- nothing yet\n") == []


ONLY_INDEXES = r"is not allowed; an index file holds only CREATE INDEX statements \(CREATE \["
HOSTILE_INDEXES = [
    ("drop table orders", "statement 1: DROP " + ONLY_INDEXES),
    ("create index i on orders (a); drop table orders", "statement 2: DROP "),
    ("create index i on orders (a);drop table orders", "statement 2: DROP "),
    ("create index i on orders (a); create function f() returns int language sql "
     "as $$ select 1 $$", "statement 2: CREATE FUNCTION " + ONLY_INDEXES),
    ("create index i on orders (a); alter role owner_sql superuser", "statement 2: ALTER ROLE"),
    ("do $$ begin execute 'drop table orders'; end $$", "statement 1: DO " + ONLY_INDEXES),
    ("copy orders to '/tmp/x'", "statement 1: COPY "),
    ("copy (select 1) to program 'id'", "statement 1: COPY "),
    ("grant select on orders to public", "statement 1: GRANT "),
    ("set role postgres", "statement 1: SET "),
    ("analyze orders", r"statement 1: VACUUM/ANALYZE "),
    ("select pg_sleep(10)", "statement 1: SELECT "),
    ("create table t2 (a int)", "statement 1: CREATE TABLE "),
    ("create index i on orders (a) /* */; -- x\n truncate orders", "statement 2: TRUNCATE "),
    ("create index concurrently i on orders (a)", "statement 1: CONCURRENTLY is not allowed"),
    ("create index i on orders (a) tablespace pg_default", "TABLESPACE is not allowed"),
    ("create index i on orders using bloom (a)",
     "USING bloom is not allowed; use one of btree, hash, gin, gist, spgist, brin"),
    ("create index i on public.orders (a)",
     r"the schema 'public' is not yours; name the table orders or main.orders"),
    ("create index i on reference_main.orders (a)", "the schema 'reference_main' is not yours"),
    ('create index i on only "reference_main" . orders (a)', "'reference_main' is not yours"),
    ('create index i on U&"\\0072eference_main".orders (a)', "'reference_main' is not yours"),
    ('create index i on U&"!0070ublic" UESCAPE \'!\'.orders (a)', "'public' is not yours"),
    ("create index i on pg_catalog.pg_class (oid)", "'pg_catalog' is not yours"),
    ("create index i on grader.main.orders (a)", "name the table without a database"),
    ("create index i on orders (a", r"indexes.sql: syntax error at end of input"),
    ("create index i on orders ($x$a$x$)", r"indexes.sql \(line 1\): syntax error"),
    ("create index i on orders (a) where status = 'open", "unterminated quoted string"),
    ("create index i on orders (a) where status = $q$open", "unterminated dollar-quoted"),
    ("create index i on orders (a) /* never closed", r"unterminated /\* comment"),
]


@pytest.mark.parametrize(("text", "says"), HOSTILE_INDEXES, ids=[t for t, _ in HOSTILE_INDEXES])
def test_hostile_and_unsupported_index_files_are_refused(text: str, says: str) -> None:
    with pytest.raises(SqlFileError, match=says):
        index_statements(text, schemas=SCHEMAS)


def test_without_own_schemas_every_qualified_name_is_refused() -> None:
    # The reference's files, built into reference_<dataset> at image build.
    with pytest.raises(SqlFileError, match=r"'main' is not yours; name the table orders$"):
        index_statements("create index i on main.orders (a)", filename="ref.sql")
