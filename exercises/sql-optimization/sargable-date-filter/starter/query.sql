-- Orders placed on the day $1 (a date), by id. Correct, but it reads the
-- whole table: make it use the index on created_at.
SELECT id, total, created_at
FROM orders
WHERE created_at::date = $1::date
ORDER BY id
