"""Public sample: how the tests run the app's lookup on your indexes."""

LOOKUP = """
SELECT id, total, created_at FROM orders
WHERE customer_id = $1 AND status = 'open'
ORDER BY created_at DESC LIMIT 10
"""


def test_readme_lookup_runs(sql):
    rows = sql.query(LOOKUP, params=[42]).rows
    assert 0 < len(rows) <= 10
    plan = sql.explain(LOOKUP, params=[42])
    print(f"{plan.shared_buffers} buffers: {[n.describe() for n in plan.nodes]}")
