-- A half-open range on the bare column: the index on created_at can seek to
-- the day's first entry and stop at the next midnight (excluded).
SELECT id, total, created_at
FROM orders
WHERE created_at >= $1::date AND created_at < $1::date + 1
ORDER BY id
