-- The next 20 posts after the last one shown ($1 = its published_at, $2 = its id),
-- newest first. TODO: this skips posts that share the cursor's timestamp.
SELECT id, title, published_at
FROM posts
WHERE published_at < $1::timestamp AND $2::integer IS NOT NULL
ORDER BY published_at DESC, id DESC
LIMIT 20
