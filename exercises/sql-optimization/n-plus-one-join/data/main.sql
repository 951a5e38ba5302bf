-- 1 000 customers in 16 cities, 100 000 orders; every 7th customer has
-- none. setseed: the same rows on every build.
SELECT setseed(0.42);
INSERT INTO customers
SELECT g, 'customer ' || g,
       (ARRAY['Lyon', 'Porto', 'Graz', 'Turku', 'Ghent', 'Brno', 'Cork', 'Bergen',
              'Malmo', 'Split', 'Riga', 'Lodz', 'Basel', 'Aarhus', 'Leeds', 'Bilbao'])[1 + g % 16]
FROM generate_series(1, 1000) AS g;
INSERT INTO orders
SELECT g, c, round((random() * 300)::numeric, 2),
       timestamp '2024-01-01' + random() * interval '365 days'
FROM (SELECT g, 1 + (random() * 999)::int AS c FROM generate_series(1, 110000) AS g) AS o
WHERE c % 7 <> 0;
