SELECT id, total, created_at
FROM orders
WHERE date_trunc('day', created_at) = $1::date
ORDER BY id
