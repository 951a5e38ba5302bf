"""Prometheus metrics: the figures of grader.services.grading_figures, read
from the database at scrape time, and the queue's depth in the broker.

Who may scrape (`metrics_access`): without GRADER_METRICS_TOKEN only clients
on loopback (queue depths and outcomes are not for the world, and every
scrape costs queries); with a token, every scrape must send it as a Bearer
token, compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from fastapi import Request
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from grader.db import Database
from grader.http.deps import ServicesDep
from grader.services.errors import Forbidden, Unauthorized
from grader.services.grading_figures import grading_figures
from grader.services.queue import Queue

BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def is_loopback(host: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def metrics_access(request: Request, services: ServicesDep) -> None:
    """The /metrics route's guard (a dependency)."""
    secret = services.settings.metrics_token
    token = secret.get_secret_value() if secret is not None else ""
    if not token:
        if not is_loopback(request.client.host if request.client else None):
            raise Forbidden("/metrics answers loopback clients only; set GRADER_METRICS_TOKEN "
                            "to scrape from elsewhere with a Bearer token")
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()):
        raise Unauthorized("/metrics needs Authorization: Bearer <GRADER_METRICS_TOKEN>")


class ServiceCollector(Collector):
    def __init__(self, db: Database, queue: Queue) -> None:
        self.db = db
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        figures = grading_figures(db=self.db, bounds=BUCKETS)
        by_status = figures.by_status
        depth = GaugeMetricFamily("grader_queue_depth", "Submissions waiting (status queued)")
        depth.add_metric([], by_status.get("queued", 0))
        yield depth
        broker = self.queue.depth()
        if broker is not None:
            yield GaugeMetricFamily("grader_broker_queue_length",
                                    "Messages waiting in the broker's grading queues "
                                    "(routed ones included)", value=broker)
        subs = GaugeMetricFamily("grader_submissions", "Submissions by status", labels=["status"])
        for status in ("queued", "running", "graded", "not_gradable"):
            subs.add_metric([status], by_status.get(status, 0))
        yield subs
        runs = CounterMetricFamily("grader_gradings", "Finished gradings by status and outcome",
                                   labels=["status", "outcome"])
        for status, outcome, count in figures.outcomes:
            runs.add_metric([status, outcome or ""], count)
        yield runs
        yield CounterMetricFamily("grader_sandbox_failures",
                                  "Infrastructure faults met while grading",
                                  value=figures.infra_failures)
        hist = HistogramMetricFamily("grader_grading_duration_seconds",
                                     "Time spent grading one submission (sandbox included)")
        hist.add_metric(
            [], [(str(b), float(c)) for b, c in zip(BUCKETS, figures.within, strict=True)]
            + [("+Inf", float(figures.timed))], sum_value=float(figures.seconds),
        )
        yield hist
