"""Public sample: how the tests call your query.sql ($1 is a date)."""

import datetime


def test_readme_day_runs(sql):
    day = datetime.date(2024, 3, 15)
    result = sql.student(params=[day])
    assert result.rows, "the README's day has orders"
    assert all(row[2].date() == day for row in result.rows)
