"""The self-check's variants of a reference index file (pure: pglast, no Docker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.exercises.index_variants import INDEX_VARIANTS, rewrite_index_file
from grader.exercises.pack import load_pack
from grader.selftest import Case, CaseKind, cases_of, index_variants, judge
from grader_harness.report import Report, Status
from grader_harness.sql.statements import index_statements

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
SOLUTION = """-- equality columns first
CREATE INDEX orders_customer_status_created ON orders (customer_id, status, created_at);
create index o_partial on orders (created_at) include (total) where status = 'do not ship';
"""


def test_each_variant_rewrites_every_statement() -> None:
    assert rewrite_index_file(SOLUTION, "unnamed", "main") == (
        "CREATE INDEX ON orders (customer_id, status, created_at);\n"
        "CREATE INDEX ON orders (created_at) INCLUDE (total) WHERE status = 'do not ship';\n"
    )
    assert rewrite_index_file(SOLUTION, "quoted", "main") == (
        'CREATE INDEX "Solution ""Index"" 1" ON orders (customer_id, status, created_at);\n'
        'CREATE INDEX "Solution ""Index"" 2" ON orders (created_at) INCLUDE (total) '
        "WHERE status = 'do not ship';\n"
    )
    qualified = rewrite_index_file(SOLUTION, "qualified", "main")
    assert qualified.count(" ON main.orders ") == 2


def test_an_unknown_variant_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown index variant 'lower-case'"):
        rewrite_index_file(SOLUTION, "lower-case", "main")


def test_every_variant_passes_the_statement_checks() -> None:
    plain = index_statements(SOLUTION, schemas=("main",))
    for variant in INDEX_VARIANTS:
        sent = index_statements(rewrite_index_file(SOLUTION, variant, "main"), schemas=("main",))
        assert len(sent) == 2
        if variant == "qualified":  # the schema is dropped again: every dataset's own table
            assert sent == plain


def test_sql_packs_with_index_files_get_the_variants() -> None:
    pack = load_pack(EXERCISES / "sql-optimization" / "hot-lookup-index")
    variants = index_variants(pack)
    assert [c.name for c in variants] == list(INDEX_VARIANTS)
    assert all(c.kind is CaseKind.VARIANT and c.files for c in variants)
    unnamed = variants[0].files
    assert unnamed is not None and unnamed["indexes.sql"].startswith("CREATE INDEX ON orders (")
    kinds = [c.kind for c in cases_of(pack)]
    assert kinds[:5] == [CaseKind.SOLUTION, *[CaseKind.VARIANT] * 3, CaseKind.STARTER]


def test_query_packs_have_none() -> None:
    pack = load_pack(EXERCISES / "sql-optimization" / "sargable-date-filter")
    assert index_variants(pack) == []
    assert CaseKind.VARIANT not in {c.kind for c in cases_of(pack)}


def test_a_variant_below_full_marks_is_a_problem_named_by_its_label() -> None:
    case = Case(CaseKind.VARIANT, "unnamed", Path("."), files={"indexes.sql": ""})
    report = Report(status=Status.ERROR, score=0, max_score=10,
                    message="your indexes.sql was refused: ...")  # fmt: skip
    assert judge(case, [report]) == [
        "solution variant 'unnamed' scored 0/10 (error); your indexes.sql was refused: ..."
    ]
