"""Public sample: your query.sql gets the cursor as $1 (published_at) and $2 (id)."""

import datetime


def test_readme_cursor_runs(sql):
    result = sql.student(params=[datetime.datetime(2024, 1, 20, 12, 0), 50000])
    assert len(result.rows) == 20
    assert result.rows[0][2] <= datetime.datetime(2024, 1, 20, 12, 0)
