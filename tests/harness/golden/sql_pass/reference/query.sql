SELECT id, price FROM items WHERE kind = $1 ORDER BY id
