"""/healthz, /readyz (naming what failed) and /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from grader.services import grading_jobs
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account, fake_grade


def test_healthz_and_readyz(client: TestClient, services: Services) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/v1/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["failed"] == []

    def no_docker() -> None:
        raise ConnectionError("no Docker engine answers")

    services.docker_check = no_docker
    import redis

    services.redis = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["failed"] == ["redis", "docker"] and body["checks"]["database"] == "ok"
    assert "no Docker engine answers" in body["checks"]["docker"]


def test_readyz_leaves_docker_out_where_the_api_has_none(client: TestClient,
                                                          services: Services) -> None:
    """Compose: only the worker has the Docker socket; the API's readiness
    must not depend on it."""

    def no_docker() -> None:
        raise ConnectionError("no Docker engine answers")

    services.docker_check = no_docker
    services.settings = services.settings.model_copy(update={"ready_check_docker": False})
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert "docker" not in ready.json()["checks"] and ready.json()["failed"] == []


def test_metrics_report_queue_outcomes_durations_and_failures(
    client: TestClient, services: Services, alice: Account
) -> None:
    ids = []
    for source in ("PASS\n", "FAIL\n", "INFRA\n", "PASS\n"):
        response = client.post("/api/v1/submissions", headers=alice.headers,
                               json={"exercise": "hello-api", "files": {"app/main.py": source}})
        ids.append(response.json()["id"])
    for sub_id in ids[:3]:
        grading_jobs.grade_submission(
            db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="m",
            grade=fake_grade, settings=services.settings, worker="w", max_retries=0,
            lease_seconds=60,
        )
    # /metrics answers loopback clients (no GRADER_METRICS_TOKEN set here).
    with TestClient(client.app, client=("127.0.0.1", 50000)) as local:
        text = local.get("/metrics").text
    assert "grader_queue_depth 1.0" in text
    assert 'grader_submissions{status="graded"} 2.0' in text
    assert 'grader_gradings_total{outcome="passed",status="graded"} 1.0' in text
    assert 'grader_gradings_total{outcome="",status="not_gradable"} 1.0' in text
    assert "grader_sandbox_failures_total 1.0" in text
    assert 'grader_grading_duration_seconds_bucket{le="+Inf"} 2.0' in text
    assert "grader_grading_duration_seconds_count 2.0" in text
