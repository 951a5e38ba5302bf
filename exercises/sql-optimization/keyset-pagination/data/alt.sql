-- The second dataset: fewer posts, even more ties (10-minute slots).
SELECT setseed(-0.3);
INSERT INTO posts
SELECT g, 1 + (random() * 99)::int, 'note #' || g,
       timestamp '2022-05-01' + (random() * 3000)::int * interval '10 minutes'
FROM generate_series(1, 50000) AS g;
