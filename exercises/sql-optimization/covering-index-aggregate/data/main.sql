-- 100 000 orders imported in no particular order (created_at is random, so
-- a month's rows are spread over every page). setseed: the same rows on
-- every build.
SELECT setseed(0.42);
INSERT INTO orders
SELECT g,
       1 + (random() * 4999)::int,
       (ARRAY['open', 'paid', 'shipped', 'shipped', 'cancelled'])[1 + (random() * 4)::int],
       round((random() * 500)::numeric, 2),
       timestamp '2024-01-01' + random() * interval '365 days'
FROM generate_series(1, 100000) AS g;
