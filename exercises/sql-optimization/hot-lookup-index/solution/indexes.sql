-- Equality columns first, then the ORDER BY column: the index hands back a
-- customer's open orders newest first, and LIMIT stops after 10 entries.
CREATE INDEX orders_customer_status_created ON orders (customer_id, status, created_at);
