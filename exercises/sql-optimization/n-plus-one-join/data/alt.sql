-- The second dataset: other cities, other customers without orders.
SELECT setseed(-0.3);
INSERT INTO customers
SELECT g, 'client ' || g, (ARRAY['Nantes', 'Braga', 'Linz', 'Oulu', 'Liege'])[1 + g % 5]
FROM generate_series(1, 400) AS g;
INSERT INTO orders
SELECT g, c, round((random() * 800)::numeric, 2),
       timestamp '2023-01-01' + random() * interval '300 days'
FROM (SELECT g, 1 + (random() * 399)::int AS c FROM generate_series(1, 45000) AS g) AS o
WHERE c % 11 <> 3;
