"""docker-compose.yml and its overrides, validated by Debian's `docker-compose config`.
tests/service/test_compose_up.py runs the stack for real."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from grader.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
OFFLINE = REPO_ROOT / "deploy" / "compose.offline.yml"
HOSTNET = REPO_ROOT / "deploy" / "compose.hostnet.yml"


def config(*files: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose [-f FILE...] config` in the repo; no -f: the file and its
    docker-compose.override.yml, as a plain `docker-compose up` reads them."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GRADER_", "POSTGRES_", "REDIS_", "COMPOSE_"))}
    command = ["docker-compose", *(arg for f in files for arg in ("-f", f)), "config"]
    return subprocess.run(command, env={**clean, **env}, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def services_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    return dict(data["services"])


SECRETS = {"GRADER_SECRET_KEY": "k" * 64, "POSTGRES_PASSWORD": "p" * 32,
           "REDIS_PASSWORD": "r" * 32}


def test_compose_file_is_valid_and_complete() -> None:
    services = services_of(config(**SECRETS, GRADER_BASE_IMAGE="debian-offline:1"))
    assert set(services) == {"api", "worker", "redis", "postgres"}
    assert all("healthcheck" in s for s in services.values())
    for name in ("api", "worker"):
        assert services[name]["build"]["args"]["BASE_IMAGE"] == "debian-offline:1"
        assert services[name]["image"] == "grader-service:latest"
        env = services[name]["environment"]
        assert env["GRADER_ENVIRONMENT"] == "production"
        assert env["GRADER_DATABASE_URL"] == (
            f"postgresql+psycopg://grader:{'p' * 32}@postgres:5432/grader")
        assert env["GRADER_REDIS_URL"] == f"redis://:{'r' * 32}@redis:6379/0"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    volumes = services["worker"]["volumes"]
    assert any("/var/run/docker.sock" in str(v) for v in volumes)
    assert "grader worker" in " ".join(services["worker"]["command"])
    # The api has no Docker socket: its readiness leaves Docker out; the worker's keeps it.
    assert services["api"]["environment"]["GRADER_READY_CHECK_DOCKER"] == "false"
    assert "GRADER_READY_CHECK_DOCKER" not in services["worker"]["environment"]
    # The API on the host's loopback only (docker-compose.override.yml).
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000/tcp"]
    # The official images by default, no build.
    assert services["redis"]["image"] == "redis:7" and "build" not in services["redis"]
    assert services["postgres"]["image"] == "postgres:15" and "build" not in services["postgres"]

    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "p" * 32
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--requirepass") + 1] == "r" * 32
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == "r" * 32  # its health check


def test_redis_and_postgres_images_can_come_from_another_registry() -> None:
    services = services_of(config(**SECRETS, GRADER_REDIS_IMAGE="mirror.example/redis:7",
                                  GRADER_POSTGRES_IMAGE="mirror.example/postgres:15"))
    assert services["redis"]["image"] == "mirror.example/redis:7"
    assert services["postgres"]["image"] == "mirror.example/postgres:15"


def test_offline_override_builds_every_image_from_the_base() -> None:
    services = services_of(config(str(COMPOSE), str(OFFLINE), **SECRETS,
                                  GRADER_BASE_IMAGE="grader-base:bookworm-x"))
    for name, dockerfile in (("api", "worker/Dockerfile"), ("worker", "worker/Dockerfile"),
                             ("redis", "deploy/redis.Dockerfile"),
                             ("postgres", "deploy/postgres.Dockerfile")):
        build = services[name]["build"]
        assert build["args"]["BASE_IMAGE"] == "grader-base:bookworm-x", name
        assert (REPO_ROOT / build["context"] / build["dockerfile"]).resolve() == (
            REPO_ROOT / dockerfile), name
    assert services["redis"]["image"] == "grader-redis:offline"
    assert services["postgres"]["image"] == "grader-postgres:offline"


def test_offline_override_refuses_to_run_without_a_base_image() -> None:
    result = config(str(COMPOSE), str(OFFLINE), **SECRETS)
    assert result.returncode != 0
    assert "set GRADER_BASE_IMAGE" in result.stderr


def test_hostnet_override_puts_everything_on_loopback() -> None:
    ports = {"GRADER_API_PORT": "18001", "GRADER_POSTGRES_PORT": "18002",
             "GRADER_REDIS_PORT": "18003"}
    services = services_of(config(str(COMPOSE), str(OFFLINE), str(HOSTNET), **SECRETS, **ports,
                                  GRADER_BASE_IMAGE="b:1", GRADER_WORKER_HOSTNAME="w1"))
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        assert service["build"]["network"] == "host", name
        assert "ports" not in service, name  # Docker cannot publish ports on the host's network
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["GRADER_DATABASE_URL"] == (
            f"postgresql+psycopg://grader:{'p' * 32}@127.0.0.1:18002/grader")
        assert env["GRADER_REDIS_URL"] == f"redis://:{'r' * 32}@127.0.0.1:18003/0"
    api = services["api"]["command"]
    assert api[api.index("--host") + 1] == "127.0.0.1" and api[api.index("--port") + 1] == "18001"
    assert "127.0.0.1:18001" in " ".join(services["api"]["healthcheck"]["test"])
    # Its own host name: the orphan sweep must not take the host's sandboxes for its own.
    assert services["worker"]["hostname"] == "w1"
    redis = services["redis"]["command"]
    assert redis[redis.index("--bind") + 1] == "127.0.0.1"
    assert redis[redis.index("--port") + 1] == "18003"
    assert redis[redis.index("--requirepass") + 1] == "r" * 32
    assert services["postgres"]["environment"]["PGPORT"] == "18002"
    assert "listen_addresses=127.0.0.1" in services["postgres"]["command"]


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_run_without_each_secret(missing: str) -> None:
    for files in ((), (str(COMPOSE), str(OFFLINE), str(HOSTNET))):
        result = config(*files, GRADER_BASE_IMAGE="b:1",
                        **{k: v for k, v in SECRETS.items() if k != missing})
        assert result.returncode != 0, files
        assert f"set {missing}" in result.stderr, files
