WITH gone AS (DELETE FROM items RETURNING id) SELECT count(*) FROM gone
