SELECT id, title, published_at
FROM posts
WHERE (published_at, id) < ($1::timestamp, $2::integer)
ORDER BY published_at DESC, id ASC
LIMIT 20
