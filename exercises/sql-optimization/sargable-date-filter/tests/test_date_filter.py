"""Hidden tests: the day's orders, on two datasets, and what reading them costs."""

import datetime

import pytest

# Days of each dataset, first and last day included (the README's example,
# 2024-03-15, is not among them).
DAYS = {
    "main": [datetime.date(2024, 1, 1), datetime.date(2024, 2, 29), datetime.date(2024, 7, 4),
             datetime.date(2024, 12, 31)],
    "alt": [datetime.date(2023, 3, 1), datetime.date(2023, 5, 17), datetime.date(2023, 7, 18)],
}


def cases():
    return [(dataset, day) for dataset, days in DAYS.items() for day in days]


def assert_tier(sql, factor):
    for dataset, day in cases():
        # A fast query with the wrong rows earns no points for its speed.
        sql.assert_same_rows(sql.student(dataset=dataset, params=[day]),
                             sql.reference(dataset=dataset, params=[day]),
                             what=f"your query for {day} ({dataset}; its cost counts only "
                                  "once its rows are right)")
        mine = sql.explain_student(dataset=dataset, params=[day])
        target = sql.explain_reference(dataset=dataset, params=[day])
        sql.assert_buffers_within(mine, target, factor, what=f"your query for {day} ({dataset})")


@pytest.mark.points(4)
@pytest.mark.hint("A day runs from its midnight (included) to the next midnight (excluded).")
def test_rows_match(sql):
    for dataset, day in cases():
        sql.assert_same_rows(sql.student(dataset=dataset, params=[day]),
                             sql.reference(dataset=dataset, params=[day]),
                             what=f"your query for {day} (dataset {dataset})")


@pytest.mark.points(2)
@pytest.mark.hint("A function or cast applied to created_at hides the column from its index.")
def test_no_seq_scan_on_orders(sql):
    for dataset, day in cases():
        plan = sql.explain_student(dataset=dataset, params=[day])
        sql.assert_no_seq_scan(plan, "orders", what=f"your query for {day} ({dataset})")


@pytest.mark.points(1)
@pytest.mark.hint("Compare the bare column with a range of timestamps.")
def test_buffers_within_10x_of_target(sql):
    assert_tier(sql, 10)


@pytest.mark.points(3)
@pytest.mark.hint("Compare the bare column with a range of timestamps.")
def test_buffers_within_2x_of_target(sql):
    assert_tier(sql, 2)


@pytest.mark.points(1)
@pytest.mark.hint("The same columns as the original query: id, total, created_at, with those "
                  "names and in that order.")
def test_column_names(sql):
    dataset, day = cases()[0]
    sql.assert_same_rows(sql.student(dataset=dataset, params=[day]),
                         sql.reference(dataset=dataset, params=[day]), check_columns=True,
                         what=f"your query for {day} (dataset {dataset})")
