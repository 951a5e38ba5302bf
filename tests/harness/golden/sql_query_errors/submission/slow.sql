SELECT count(*) FROM items a, items b, items c
