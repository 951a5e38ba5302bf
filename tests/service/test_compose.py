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
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GRADER_", "POSTGRES_", "REDIS_"))}
    return subprocess.run(["docker-compose", "-f", str(COMPOSE), "config"], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, check=False)


SECRETS = {"GRADER_SECRET_KEY": "k" * 64, "POSTGRES_PASSWORD": "p" * 32,
           "REDIS_PASSWORD": "r" * 32}


def test_compose_file_is_valid_and_complete() -> None:
    result = config(**SECRETS, GRADER_BASE_IMAGE="debian-offline:1")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    services = data["services"]
    assert set(services) == {"api", "worker", "redis", "postgres"}
    assert all("healthcheck" in s for s in services.values())
    for name in ("api", "worker"):
        assert services[name]["build"]["args"]["BASE_IMAGE"] == "debian-offline:1"
        env = services[name]["environment"]
        assert env["GRADER_ENVIRONMENT"] == "production"
        assert env["GRADER_DATABASE_URL"] == (
            f"postgresql+psycopg://grader:{'p' * 32}@postgres:5432/grader")
        assert env["GRADER_REDIS_URL"] == f"redis://:{'r' * 32}@redis:6379/0"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    volumes = services["worker"]["volumes"]
    assert any("/var/run/docker.sock" in str(v) for v in volumes)
    assert "grader worker" in " ".join(services["worker"]["command"])


    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "p" * 32
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--requirepass") + 1] == "r" * 32
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == "r" * 32  # its health check


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_run_without_each_secret(missing: str) -> None:
    result = config(**{k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr
