CREATE INDEX my_kind_idx ON items (kind, id);
