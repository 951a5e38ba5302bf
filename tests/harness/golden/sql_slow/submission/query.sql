SELECT id, price FROM items WHERE kind + 0 = $1 ORDER BY id
