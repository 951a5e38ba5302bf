CREATE INDEX items_kind ON items (kind);
