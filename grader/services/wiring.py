"""The Services bundle: everything a request handler needs (database,
catalogue, queue, rate limiter, ...), built once per process from settings.
Both HTTP edges (grader.api, grader.web) reach it through grader.http.deps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.db import Database
from grader.services import config
from grader.services.catalog import Catalog
from grader.services.published_catalog import service_catalog
from grader.services.queue import CeleryQueue, Queue, producer_app
from grader.services.ratelimit import RateLimiter
from grader.services.routing import catalog_runner
from grader.services.submissions import SubmissionCaps
from grader.settings import Settings


def docker_ping(settings: Settings) -> None:
    """Raise if the Docker engine the workers use does not answer."""
    from sandbox import engine  # the only package that talks to Docker

    engine.connect(settings.docker_url).ping()


@dataclass
class Services:
    settings: Settings
    db: Database
    catalog: Catalog
    queue: Queue
    redis: Any  # redis.Redis, or None when the rate limit is off
    limiter: RateLimiter | None
    docker_check: Callable[[], None]

    @property
    def limits(self) -> SubmissionCaps:
        return SubmissionCaps(queue_max_depth=self.settings.queue_max_depth,
                              max_submission_bytes=self.settings.max_submission_bytes)


def build_services(settings: Settings) -> Services:
    import redis

    # Workers sign webhooks with it; making sure it exists now (generated in
    # development) means API and workers on this machine share one key.
    config.secret_key(settings)
    redis_url = config.redis_url(settings)
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    db = Database(config.database_url(settings))
    catalog = service_catalog(settings, db)  # disk packs and proven published ones
    return Services(
        settings=settings,
        db=db,
        catalog=catalog,
        queue=CeleryQueue(producer_app(redis_url), routes=settings.grading_routes,
                          runner_of=catalog_runner(catalog)),
        redis=client,
        limiter=RateLimiter(client, limit=settings.rate_limit_submissions,
                            window=settings.rate_limit_window_seconds),
        docker_check=lambda: docker_ping(settings),
    )
