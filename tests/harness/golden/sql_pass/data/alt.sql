INSERT INTO items SELECT g, g / 50, (g * 11) % 500 FROM generate_series(1, 5000) AS g;
