"""Public sample: your query.sql gets the city as $1."""


def test_readme_city_runs(sql):
    result = sql.student(params=["Lyon"])
    assert len(result.columns) == 4
    assert len(result.rows) == 62, "Lyon has 62 customers"
