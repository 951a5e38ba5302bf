CREATE TABLE items (id integer PRIMARY KEY, kind integer NOT NULL, price integer NOT NULL);
