"""Liveness, readiness and metrics (served at the root and under /api/v1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from grader.api.metrics import ServiceCollector, metrics_access
from grader.http.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (checks nothing else)."""
    return {"status": "ok"}


def _check(name: str, probe: Any) -> tuple[str, str | None]:
    try:
        probe()
    except Exception as exc:
        return name, f"{type(exc).__name__}: {exc}"[:300]
    return name, None


@router.get("/readyz", responses={503: {"description": "a dependency is down (named)"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """Database, Redis and Docker reachable; names whichever is not. Docker
    only with GRADER_READY_CHECK_DOCKER (the default)."""
    probes = {
        "database": services.db.ping,
        "redis": (lambda: services.redis.ping()) if services.redis is not None else (lambda: None),
    }
    if services.settings.ready_check_docker:
        probes["docker"] = services.docker_check
    results = [await run_in_threadpool(_check, name, probe) for name, probe in probes.items()]
    checks = {name: error or "ok" for name, error in results}
    failed = [name for name, error in results if error is not None]
    body = {"status": "ready" if not failed else "not ready", "failed": failed, "checks": checks}
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/metrics", response_class=Response, dependencies=[Depends(metrics_access)],
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}},
                       401: {"description": "a token is set and was not sent"},
                       403: {"description": "no token is set and the client is not loopback"}})
def metrics(services: ServicesDep) -> Response:
    registry = CollectorRegistry()
    registry.register(ServiceCollector(services.db, services.queue))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
