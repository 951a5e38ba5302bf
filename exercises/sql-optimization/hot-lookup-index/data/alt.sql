-- The second dataset: other customers, other rows (hard-coded answers fail).
SELECT setseed(-0.3);
INSERT INTO orders
SELECT g,
       10001 + (random() * 1999)::int,
       (ARRAY['open', 'paid', 'shipped', 'cancelled'])[1 + (random() * 3)::int],
       round((random() * 900)::numeric, 2),
       timestamp '2023-06-01' + random() * interval '500 days'
FROM generate_series(1, 40000) AS g;
