-- 100 000 orders of 5 000 customers over 2024. setseed first: the same rows
-- in the student's and the reference's schema, on every build.
SELECT setseed(0.42);
INSERT INTO orders
SELECT g,
       1 + (random() * 4999)::int,
       (ARRAY['open', 'paid', 'shipped', 'shipped', 'cancelled'])[1 + (random() * 4)::int],
       round((random() * 500)::numeric, 2),
       timestamp '2024-01-01' + random() * interval '365 days'
FROM generate_series(1, 100000) AS g;
