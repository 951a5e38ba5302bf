-- A row-value comparison is one range condition on the index's columns:
-- the backward index scan starts right at the cursor and reads 20 entries.
SELECT id, title, published_at
FROM posts
WHERE (published_at, id) < ($1::timestamp, $2::integer)
ORDER BY published_at DESC, id DESC
LIMIT 20
