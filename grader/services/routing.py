"""Which queue a grading travels on: GRADER_GRADING_ROUTES maps a runner name
("sql", "http-app", "python") or an exercise slug to a queue; the slug wins
over the runner; anything unrouted goes on "grading" (docs/service.md,
"Dedicated worker pools"). Pure functions: the queue (services.queue) sends
the message with the queue chosen here, so every path that enqueues a
grading (submit, regrades, the sweep) routes alike, and a worker's retry goes
back on the queue its message came from (Celery keeps the routing key)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from grader.exercises.manifest import SLUG_RE
from grader_harness.runners import RUNNERS

SETTING = "GRADER_GRADING_ROUTES"
DEFAULT_QUEUE = "grading"  # the queue grading tasks travel on unless routed
QUEUE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def grading_queue(routes: Mapping[str, str], slug: str | None, runner: str | None) -> str:
    """The queue for a grading of exercise `slug` (runner `runner`). A key that
    is a runner name routes that runner only, never an exercise of that slug."""
    if slug is not None and slug not in RUNNERS and slug in routes:
        return routes[slug]
    if runner is not None and runner in routes:
        return routes[runner]
    return DEFAULT_QUEUE


def grading_queues(routes: Mapping[str, str]) -> list[str]:
    """Every queue a grading may be on (the broker's depth sums them)."""
    return sorted({DEFAULT_QUEUE, *routes.values()})


def needs_runner(routes: Mapping[str, str]) -> bool:
    """True if some route is by runner (else a slug alone decides)."""
    return any(key in RUNNERS for key in routes)


def parse_routes(value: Any) -> dict[str, str]:
    """A JSON object ('{"sql": "grading-sql"}'), a "key=queue,key=queue"
    string, or a mapping; checked. A ValueError naming the setting otherwise."""
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{SETTING} is not valid JSON: {exc}") from None
        else:
            value = _parse_pairs(text)
    if not isinstance(value, Mapping):
        raise ValueError(f"{SETTING} must map runners or exercise slugs to queue names")
    routes: dict[str, str] = {}
    for key, queue in value.items():
        if not isinstance(key, str) or not (key in RUNNERS or re.fullmatch(SLUG_RE, key)):
            raise ValueError(f"{SETTING}: {key!r} is neither a runner "
                             f"({', '.join(sorted(RUNNERS))}) nor an exercise slug")
        if not isinstance(queue, str) or not QUEUE_RE.fullmatch(queue):
            raise ValueError(f"{SETTING}: queue {queue!r} for {key!r} is not a queue name "
                             "(1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit)")
        routes[key] = queue
    return routes


def _parse_pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, queue = item.partition("=")
        if not sep:
            raise ValueError(f"{SETTING}: {item!r} is not key=queue")
        pairs[key.strip()] = queue.strip()
    return pairs


def catalog_runner(catalog: Any) -> Callable[[str], str | None]:
    """slug -> its pack's runner, from a catalogue (`get(slug)`); None for an
    exercise it does not know (the grading then goes on the slug's or the
    default route, and the worker says what is wrong with it)."""

    def runner_of(slug: str) -> str | None:
        try:
            return str(catalog.get(slug).manifest.runner)
        except Exception:  # unknown exercise, unreadable pack: not routing's business
            return None

    return runner_of
