-- 100 000 posts, published on whole minutes (so many share a timestamp),
-- ids in no relation to time (imported from elsewhere). setseed: the same
-- rows on every build.
SELECT setseed(0.42);
INSERT INTO posts
SELECT g, 1 + (random() * 999)::int, 'post ' || g,
       timestamp '2024-01-01' + (random() * 40000)::int * interval '1 minute'
FROM generate_series(1, 100000) AS g;
