-- The city report ($1 = the city): today the app runs one query for the
-- customers and then two more per customer (N+1). TODO: one query, with
-- id, name, orders, total_spent; biggest spenders first, then by id.
SELECT c.id, c.name, 0 AS orders, 0.00 AS total_spent
FROM customers AS c
WHERE c.city = $1::text
ORDER BY c.id
