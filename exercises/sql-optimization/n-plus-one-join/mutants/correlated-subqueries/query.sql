SELECT c.id, c.name,
       (SELECT count(*) FROM orders AS o WHERE o.customer_id = c.id) AS orders,
       (SELECT coalesce(sum(o.total), 0) FROM orders AS o WHERE o.customer_id = c.id) AS total_spent
FROM customers AS c
WHERE c.city = $1::text
ORDER BY total_spent DESC, c.id
