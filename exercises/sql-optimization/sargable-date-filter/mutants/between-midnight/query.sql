SELECT id, total, created_at
FROM orders
WHERE created_at BETWEEN $1::date AND $1::date + 1
ORDER BY id
