-- The shop's orders; loaded into every dataset's schema before its rows.
CREATE TABLE orders (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL,
    status text NOT NULL,
    total numeric(10, 2) NOT NULL,
    created_at timestamp NOT NULL
);
