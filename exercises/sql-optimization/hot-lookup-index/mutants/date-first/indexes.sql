CREATE INDEX orders_created_customer ON orders (created_at, customer_id, status);
