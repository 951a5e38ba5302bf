"""Hidden tests: the dashboard aggregate on the student's and the reference's indexes."""

import datetime

import pytest

REVENUE = """
SELECT status, count(*) AS orders, sum(total) AS revenue
FROM orders
WHERE created_at >= $1 AND created_at < $2
GROUP BY status
ORDER BY status
"""
D = datetime.datetime
# Periods of each dataset (the README's example, March 2024, is not among them).
PERIODS = {"main": [(D(2024, 7, 1), D(2024, 8, 1)), (D(2024, 11, 10), D(2024, 11, 17))],
           "alt": [(D(2023, 2, 1), D(2023, 3, 1))]}


def measured(sql, side):
    return [(dataset, period, sql.explain(REVENUE, side=side, dataset=dataset, params=period))
            for dataset, periods in PERIODS.items() for period in periods]


def assert_tier(sql, factor):
    for (dataset, period, mine), (*_, target) in zip(measured(sql, "student"),
                                                     measured(sql, "reference"), strict=True):
        sql.assert_buffers_within(mine, target, factor,
                                  what=f"the revenue query from {period[0]:%Y-%m-%d} ({dataset})")


@pytest.mark.points(2)
@pytest.mark.hint("An Index Only Scan needs every column the query reads in the index: the "
                  "filtered one as the key, the others as key or INCLUDE columns.")
def test_answered_from_the_index_alone(sql):
    for dataset, period, plan in measured(sql, "student"):
        scans = plan.scans_on("orders")
        assert scans == {"Index Only Scan"}, (
            f"the revenue query from {period[0]:%Y-%m-%d} ({dataset}) reads orders with "
            f"{', '.join(sorted(scans))}, not from an index alone")


@pytest.mark.points(2)
@pytest.mark.hint("Start with an index the WHERE clause can use as a range.")
def test_buffers_within_10x_of_target(sql):
    assert_tier(sql, 10)


@pytest.mark.points(3)
@pytest.mark.hint("The range column first, then what the query reads: the index alone answers.")
def test_buffers_within_2x_of_target(sql):
    assert_tier(sql, 2)


@pytest.mark.points(1)
@pytest.mark.hint("One covering index is enough for this query (and needed: these points count "
                  "only with an index that the query uses).")
def test_no_scattershot_indexes(sql):
    made = sql.student_indexes("main")
    assert made, "indexes.sql creates no index: few indexes count only once the query uses one"
    assert len(made) <= 2, f"indexes.sql creates {len(made)} indexes; the query needs one"
    # Few indexes are worth points only with one that does the job: an empty
    # or useless indexes.sql must not earn them.
    for dataset, period, plan in measured(sql, "student"):
        sql.assert_no_seq_scan(plan, "orders",
                               what=f"the revenue query from {period[0]:%Y-%m-%d} ({dataset})")


@pytest.mark.points(1)
@pytest.mark.hint("An index never changes what a query returns.")
def test_revenue_unchanged(sql):
    for dataset, periods in PERIODS.items():
        for period in periods:
            sql.assert_same_rows(sql.query(REVENUE, dataset=dataset, params=period),
                                 sql.query(REVENUE, side="reference", dataset=dataset,
                                           params=period),
                                 what=f"the revenue query ({dataset})")
