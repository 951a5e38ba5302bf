SELECT id, title, published_at
FROM posts
WHERE published_at < $1::timestamp OR (published_at = $1::timestamp AND id < $2::integer)
ORDER BY published_at DESC, id DESC
LIMIT 20
