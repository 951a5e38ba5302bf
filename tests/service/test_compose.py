"""docker-compose.yml, validated by Debian's `docker-compose config`."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from grader.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"


def config(**env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "POSTGRES_"))}
    return subprocess.run(["docker-compose", "-f", str(COMPOSE), "config"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def test_compose_file_is_valid_and_complete() -> None:
    result = config(GRADER_SECRET_KEY="k" * 64, GRADER_BASE_IMAGE="debian-offline:1")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    services = data["services"]
    assert set(services) == {"api", "worker", "redis", "postgres"}
    assert all("healthcheck" in s for s in services.values())
    for name in ("api", "worker"):
        assert services[name]["build"]["args"]["BASE_IMAGE"] == "debian-offline:1"
        env = services[name]["environment"]
        assert env["GRADER_ENVIRONMENT"] == "production"
        assert env["GRADER_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["GRADER_REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    volumes = services["worker"]["volumes"]
    assert any("/var/run/docker.sock" in str(v) for v in volumes)
    assert "grader worker" in " ".join(services["worker"]["command"])


def test_compose_refuses_to_run_without_a_secret_key() -> None:
    result = config()
    assert result.returncode != 0
    assert "set GRADER_SECRET_KEY" in result.stderr
