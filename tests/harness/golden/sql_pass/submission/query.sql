-- the student's: same rows, other spelling
SELECT i.id, i.price AS cost FROM items AS i WHERE i.kind = $1::int ORDER BY 1;
