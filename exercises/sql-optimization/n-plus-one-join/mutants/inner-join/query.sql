SELECT c.id, c.name, count(o.id) AS orders, coalesce(sum(o.total), 0) AS total_spent
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE c.city = $1::text
GROUP BY c.id, c.name
ORDER BY total_spent DESC, c.id
