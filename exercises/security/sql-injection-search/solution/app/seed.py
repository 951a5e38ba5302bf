"""The directory's starting data. Keep this file as it is.

`api_keys` holds live credentials: nothing the search answers may ever
contain them.
"""

from __future__ import annotations

PEOPLE: list[tuple[str, str, str]] = [
    ("Ada Lovelace", "ada@example.org", "London"),
    ("Conan O'Brien", "conan@example.org", "Boston"),
    ("Siobhán O'Brien", "siobhan@example.org", "Cork"),
    ("Miles O'Neill", "miles@example.org", "Galway"),
    ("Jean-Luc D'Arcy", "jl@example.org", "Lyon"),
    ("Zoë Ñúñez", "zoe@example.org", "Sevilla"),
    ("Björk Guðmundsdóttir", "bjork@example.org", "Reykjavík"),
    ("李小龍", "bruce@example.org", "Hong Kong"),
    ("Grace Hopper", "grace@example.org", "New York"),
    ("Alan Turing", "alan@example.org", "Wilmslow"),
    ("Katherine Johnson", "katherine@example.org", "Hampton"),
    ("Edsger Dijkstra", "edsger@example.org", "Nuenen"),
    ("Barbara Liskov", "barbara@example.org", "Cambridge"),
    ("Donald Knuth", "don@example.org", "Stanford"),
    ("Frances Allen", "fran@example.org", "Peru"),
    ("Ken Thompson", "ken@example.org", "Murray Hill"),
    ("Margaret Hamilton", "margaret@example.org", "Boston"),
    ("Radia Perlman", "radia@example.org", "Portsmouth"),
    ("Tim Berners-Lee", "tim@example.org", "London"),
    ("Linus Torvalds", "linus@example.org", "Portland"),
    ("Guido van Rossum", "guido@example.org", "Haarlem"),
    ("Annie Easley", "annie@example.org", "Cleveland"),
]

API_KEYS: list[tuple[str, str]] = [
    ("billing", "sk_live_4f9d2a7c1e8b3f60a5d9"),
    ("backups", "sk_live_b71e0c93d2f4a8e65c10"),
    ("admin", "sk_live_0a1b2c3d4e5f60718293"),
]
