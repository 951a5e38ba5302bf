"""Hidden tests: the app's lookup, explained on the student's and the reference's indexes."""

import pytest

LOOKUP = """
SELECT id, total, created_at
FROM orders
WHERE customer_id = $1 AND status = 'open'
ORDER BY created_at DESC
LIMIT 10
"""
# Customers of each dataset (the README's example, 42, is not among them).
CUSTOMERS = {"main": [7, 1234, 4321, 4999], "alt": [10007, 10500, 11999]}


def measured(sql, side):
    """The lookup's plans for every customer of every dataset."""
    return [
        (dataset, sql.explain(LOOKUP, side=side, dataset=dataset, params=[customer]))
        for dataset, customers in CUSTOMERS.items()
        for customer in customers
    ]


def assert_tier(sql, factor):
    for (dataset, mine), (_, target) in zip(measured(sql, "student"), measured(sql, "reference"),
                                            strict=True):
        sql.assert_buffers_within(mine, target, factor, what=f"the lookup on dataset {dataset}")


@pytest.mark.points(2)
@pytest.mark.hint("Without a usable index PostgreSQL reads the whole table for every lookup.")
def test_lookup_does_not_scan_the_table(sql):
    for dataset, plan in measured(sql, "student"):
        sql.assert_no_seq_scan(plan, "orders", what=f"the lookup on dataset {dataset}")


@pytest.mark.points(2)
@pytest.mark.hint("An index on the column the lookup filters on most selectively is a start.")
def test_buffers_within_10x_of_target(sql):
    assert_tier(sql, 10)


@pytest.mark.points(3)
@pytest.mark.hint("Equality columns first, then the ORDER BY column: the index can then hand "
                  "back exactly the 10 newest open orders, already sorted.")
def test_buffers_within_2x_of_target(sql):
    assert_tier(sql, 2)


@pytest.mark.points(2)
@pytest.mark.hint("Every index costs every INSERT and UPDATE: create the one the lookup needs "
                  "(and no fewer: these points need an index that the lookup uses).")
def test_no_scattershot_indexes(sql):
    made = sql.student_indexes("main")
    assert made, "indexes.sql creates no index: few indexes count only once the lookup is fast"
    assert len(made) <= 2, f"indexes.sql creates {len(made)} indexes; the lookup needs one"
    # Few indexes are worth points only with one that does the job: an empty
    # or useless indexes.sql must not earn them.
    for dataset, plan in measured(sql, "student"):
        sql.assert_no_seq_scan(plan, "orders", what=f"the lookup on dataset {dataset}")


@pytest.mark.points(1)
@pytest.mark.hint("An index never changes what a query returns; check it is on the orders table.")
def test_lookup_rows_unchanged(sql):
    for dataset, customers in CUSTOMERS.items():
        for customer in customers:
            sql.assert_same_rows(
                sql.query(LOOKUP, dataset=dataset, params=[customer]),
                sql.query(LOOKUP, side="reference", dataset=dataset, params=[customer]),
                what=f"the lookup for customer {customer} on dataset {dataset}",
            )
