-- The second dataset: other statuses' mix, another period.
SELECT setseed(-0.3);
INSERT INTO orders
SELECT g,
       1 + (random() * 999)::int,
       (ARRAY['open', 'paid', 'shipped', 'refunded'])[1 + (random() * 3)::int],
       round((random() * 900)::numeric, 2),
       timestamp '2022-07-01' + random() * interval '540 days'
FROM generate_series(1, 60000) AS g;
