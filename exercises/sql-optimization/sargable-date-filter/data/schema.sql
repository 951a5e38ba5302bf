CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    total numeric(10, 2) NOT NULL,
    created_at timestamp NOT NULL
);
CREATE INDEX orders_created_at ON orders (created_at);
