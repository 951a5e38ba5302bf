-- The second dataset: 2023, denser days, other edge rows.
SELECT setseed(-0.3);
INSERT INTO orders
SELECT g, 1 + (random() * 999)::int, round((random() * 900)::numeric, 2),
       timestamp '2023-03-01' + g * interval '200 seconds' + random() * interval '150 seconds'
FROM generate_series(1, 60000) AS g;
INSERT INTO orders
SELECT 200000 + d, 1 + d, 11.00, timestamp '2023-03-01' + d * interval '1 day'
FROM generate_series(0, 140) AS d;
INSERT INTO orders
SELECT 300000 + d, 2 + d, 21.00, timestamp '2023-03-01' + d * interval '1 day' - interval '1 millisecond'
FROM generate_series(1, 140) AS d;
