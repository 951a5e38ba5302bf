"""Fairness of the catalogue, checked without Docker (docs/authoring.md, "Fairness").

The core requirement of every exercise (what its README is about; what a
teacher would refuse to pass without) must carry at least a third of the
exercise's points, so that a half-done submission cannot score high by
collecting the side rules. There is no `core` marker (the harness runs
pytest with --strict-markers and knows only grader.exercises.markers'
KNOWN_MARKS), so CORE below names each exercise's core tests; a new
exercise must be added here.

Points are read as lint reads them (grader.exercises.testscan): the closest
`points` marker, 1 without one, for hidden and public tests alike.
"""

from __future__ import annotations

import ast
from fractions import Fraction
from pathlib import Path

import pytest

from grader.exercises import testscan
from grader.exercises.pack import discover, load_pack

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "exercises"
PACK_PATHS = discover([CATALOGUE])
MIN_CORE_SHARE = Fraction(1, 3)

# slug -> (what the core requirement is, the function names of the tests that check it)
CORE: dict[str, tuple[str, tuple[str, ...]]] = {
    "books-api": (
        "following next_cursor lists every book exactly once, even while books are added",
        ("test_pages_have_no_duplicates_or_gaps", "test_pages_stable_when_books_are_inserted"),
    ),
    "idempotent-payments": (
        "a key's retries, sequential or concurrent, charge exactly once",
        ("test_retries_create_exactly_one_payment", "test_concurrent_retries_create_one_payment"),
    ),
    "async-jobs": (
        "202 Accepted, a per-job status monitor that is pending for its steps, then 303",
        ("test_post_answers_202_accepted", "test_job_finishes_after_its_steps",
         "test_done_job_answers_303_to_the_result", "test_jobs_progress_independently"),
    ),
    "conditional-updates": (
        "writes require a current If-Match: no lost update",
        ("test_put_without_if_match_is_428", "test_stale_if_match_is_412",
         "test_put_with_current_etag_updates", "test_patch_requires_if_match",
         "test_lost_update_is_prevented", "test_put_needs_if_match"),
    ),
    "password-storage": (
        "legacy hashes keep verifying next to Argon2id ones (nobody is locked out)",
        ("test_legacy_hashes_verify", "test_readme_legacy_example_verifies"),
    ),
    "sql-injection-search": (
        "nothing the client sends is interpreted as SQL",
        ("test_tautologies_match_nothing", "test_union_payloads_leak_nothing",
         "test_stacked_queries_change_nothing", "test_sort_is_allow_listed",
         "test_insert_stores_names_literally"),
    ),
    "jwt-tenant-access": (
        "forged tokens are refused and tenants are isolated",
        ("test_alg_none_is_rejected", "test_bad_signature_is_rejected",
         "test_algorithm_confusion_is_rejected", "test_other_tenants_notes_are_invisible",
         "test_other_tenants_note_cannot_be_deleted", "test_tenant_comes_from_the_token"),
    ),
    "safe-fetch": (
        "traversal and SSRF are refused",
        ("test_traversal_is_blocked", "test_encoded_and_absolute_paths_are_blocked",
         "test_symlinks_cannot_escape", "test_upload_paths_never_escape",
         "test_loopback_spellings_are_blocked", "test_private_and_metadata_addresses_are_blocked",
         "test_names_resolving_to_internal_addresses_are_blocked",
         "test_redirect_to_internal_is_blocked"),
    ),
    "covering-index-aggregate": (
        "the aggregate is answered from an index alone, at the target's cost",
        ("test_answered_from_the_index_alone", "test_buffers_within_10x_of_target",
         "test_buffers_within_2x_of_target"),
    ),
    "hot-lookup-index": (
        "the lookup uses an index and costs about what the target costs",
        ("test_lookup_does_not_scan_the_table", "test_buffers_within_10x_of_target",
         "test_buffers_within_2x_of_target"),
    ),
    "keyset-pagination": (
        "the right pages, at a cost that does not grow with the depth",
        ("test_pages_match", "test_buffers_flat_with_depth"),
    ),
    "n-plus-one-join": (
        "one query returns the report's rows, at the target's cost",
        ("test_report_rows_match", "test_buffers_within_10x_of_target",
         "test_buffers_within_2x_of_target"),
    ),
    "sargable-date-filter": (
        # The starter is correct but slow: its rows are no achievement, the index is.
        "the day's orders read through the index, at the target's cost",
        ("test_no_seq_scan_on_orders", "test_buffers_within_10x_of_target",
         "test_buffers_within_2x_of_target"),
    ),
}


def _points(test: testscan.TestFunction) -> Fraction:
    mark = test.closest("points")
    if mark is None:
        return Fraction(1)
    node = mark.args[0] if mark.args else mark.keywords.get("n")
    assert node is not None, f"{test.id}: points() without a value"
    value = ast.literal_eval(node)
    return Fraction(value)


def _tests(path: Path) -> list[testscan.TestFunction]:
    tests = testscan.collect(path)
    # A parametrized test counts once per case: its weight is unknown without running it.
    assert not [t.id for t in tests if t.parametrized], (
        "a parametrized test: count its cases here before relying on this share"
    )
    return tests


def test_every_exercise_names_its_core() -> None:
    slugs = {p.name for p in PACK_PATHS}
    assert slugs, "no exercise found"
    missing = sorted(slugs - set(CORE))
    assert not missing, f"add the core tests of {', '.join(missing)} to CORE in {__file__}"
    stale = sorted(set(CORE) - slugs)
    assert not stale, f"CORE names exercises that no longer exist: {', '.join(stale)}"


@pytest.fixture(params=PACK_PATHS, ids=lambda p: p.name)
def pack_path(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_core_tests_exist(pack_path: Path) -> None:
    if pack_path.name not in CORE:
        pytest.skip("not in CORE (test_every_exercise_names_its_core fails for it)")
    functions = {t.function for t in _tests(pack_path)}
    unknown = sorted(set(CORE[pack_path.name][1]) - functions)
    assert not unknown, f"{pack_path.name}: CORE names tests the pack lacks: {unknown}"


def test_core_requirement_carries_a_third_of_the_points(pack_path: Path) -> None:
    if pack_path.name not in CORE:
        pytest.skip("not in CORE (test_every_exercise_names_its_core fails for it)")
    what, names = CORE[pack_path.name]
    tests = _tests(pack_path)
    total = sum(_points(t) for t in tests)
    core = sum(_points(t) for t in tests if t.function in names)
    assert total > 0
    assert core / total >= MIN_CORE_SHARE, (
        f"{pack_path.name}: the core requirement ({what}) carries {core} of {total} points "
        f"({float(core / total):.0%}); it needs at least a third"
    )


def test_a_mutant_proves_the_core_tests_catch_a_mistake(pack_path: Path) -> None:
    if pack_path.name not in CORE:
        pytest.skip("not in CORE (test_every_exercise_names_its_core fails for it)")
    names = set(CORE[pack_path.name][1])
    pack = load_pack(pack_path)
    named = {wanted.rsplit("::", 1)[-1] for m in pack.mutants for wanted in m.spec.must_fail}
    assert names & named, (
        f"{pack_path.name}: no mutant's must_fail names a core test; add a mutant that "
        "misses the core requirement"
    )
