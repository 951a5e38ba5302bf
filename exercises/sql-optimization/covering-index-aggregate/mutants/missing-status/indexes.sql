CREATE INDEX orders_created_total ON orders (created_at) INCLUDE (total);
