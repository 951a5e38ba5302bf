CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_status ON orders (status);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_total ON orders (total);
CREATE INDEX orders_customer_status_created ON orders (customer_id, status, created_at);
