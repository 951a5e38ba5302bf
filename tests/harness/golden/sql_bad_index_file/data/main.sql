INSERT INTO items SELECT g, g / 200, (g * 37) % 1000 FROM generate_series(1, 20000) AS g;
