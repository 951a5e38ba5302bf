-- 100 000 orders through 2024 in time order (as an append-only table is),
-- plus orders at exactly midnight and half a second before it on each day:
-- the edges a wrong range gets wrong. setseed: the same rows on every build.
SELECT setseed(0.42);
INSERT INTO orders
SELECT g, 1 + (random() * 4999)::int, round((random() * 500)::numeric, 2),
       timestamp '2024-01-01' + g * interval '315 seconds' + random() * interval '300 seconds'
FROM generate_series(1, 100000) AS g;
INSERT INTO orders
SELECT 200000 + d, 1 + d, 10.00, timestamp '2024-01-01' + d * interval '1 day'
FROM generate_series(0, 365) AS d;
INSERT INTO orders
SELECT 300000 + d, 2 + d, 20.00, timestamp '2024-01-01' + d * interval '1 day' - interval '0.5 second'
FROM generate_series(1, 365) AS d;
