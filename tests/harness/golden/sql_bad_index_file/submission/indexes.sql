CREATE INDEX ok_one ON items (kind);
DROP TABLE items;
