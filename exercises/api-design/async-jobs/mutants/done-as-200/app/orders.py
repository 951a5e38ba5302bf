"""The orders the exports contain. Keep this file as it is."""

from __future__ import annotations

ORDERS: list[dict[str, object]] = [
    {"id": 1, "customer": "Ada Lovelace", "amount": 1250},
    {"id": 2, "customer": "Grace Hopper", "amount": 990},
    {"id": 3, "customer": "Smith, Jones & Co", "amount": 45000},
    {"id": 4, "customer": 'The "Best" Bakery', "amount": 1875},
    {"id": 5, "customer": "Zoë Müller", "amount": 300},
    {"id": 6, "customer": "Alan Turing", "amount": 7200},
    {"id": 7, "customer": "Katherine Johnson", "amount": 15},
    {"id": 8, "customer": "Edsger Dijkstra", "amount": 64000},
    {"id": 9, "customer": "Barbara Liskov", "amount": 2048},
    {"id": 10, "customer": "Donald Knuth", "amount": 256},
    {"id": 11, "customer": "Frances Allen", "amount": 4096},
    {"id": 12, "customer": "Ken Thompson", "amount": 1},
]
