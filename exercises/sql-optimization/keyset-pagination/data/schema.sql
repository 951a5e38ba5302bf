CREATE TABLE posts (
    id integer PRIMARY KEY,
    author_id integer NOT NULL,
    title text NOT NULL,
    published_at timestamp NOT NULL
);
CREATE INDEX posts_published_id ON posts (published_at, id);
