-- The range column as the key, the aggregated columns as payload: an Index
-- Only Scan answers the query without visiting the table.
CREATE INDEX orders_created_covering ON orders (created_at) INCLUDE (status, total);
