SELECT id, title, published_at
FROM posts
WHERE id < $2::integer AND $1::timestamp IS NOT NULL
ORDER BY published_at DESC, id DESC
LIMIT 20
