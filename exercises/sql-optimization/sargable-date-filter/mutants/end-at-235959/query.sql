SELECT id, total, created_at
FROM orders
WHERE created_at >= $1::date AND created_at <= $1::date + interval '23:59:59'
ORDER BY id
