"""The Compose stack run for real on this machine (tests/service/test_compose_up.py).

No registry answers here and dockerd has no bridge (DESIGN.md), so the stack is
docker-compose.yml plus deploy/compose.offline.yml (every image built from the
sandbox images' offline base) plus deploy/compose.hostnet.yml (every service on
the host's network, on free loopback ports). `python -m tests.helpers.compose_stack`
builds the images ahead (scripts/setup --tests does), so the test itself finds
Docker's layer cache warm.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors

from grader.settings import REPO_ROOT, Settings
from sandbox import engine
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX
from sandbox.offline_base import ensure_base_image

FILES = ("docker-compose.yml", "deploy/compose.offline.yml", "deploy/compose.hostnet.yml")
# Not grader-service:latest: a test must not replace the image a real
# deployment on this host may run.
SERVICE_IMAGE = "grader-service:compose-test"
# The settings compose files read: none may leak in from the caller's shell.
_OURS = ("GRADER_", "POSTGRES_", "REDIS_", "COMPOSE_")


def host_base_image() -> str:
    """The sandbox images' base on this engine (built offline if missing, as setup does)."""
    settings = Settings()
    client = engine.connect(settings.docker_url)
    return ensure_base_image(client, base_image=settings.base_image,
                             offline_base=settings.offline_base)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class ComposeStack:
    """One compose project: its name, its environment, and the ports it listens on."""

    project: str
    base_image: str
    api_port: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, project: str, base_image: str) -> ComposeStack:
        api, postgres, redis = free_ports(3)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
        env.update({
            # Random secrets, hex: they go inside URLs (docker-compose.yml).
            "GRADER_SECRET_KEY": secrets.token_hex(32),
            "POSTGRES_PASSWORD": secrets.token_hex(24),
            "REDIS_PASSWORD": secrets.token_hex(24),
            "GRADER_BASE_IMAGE": base_image,
            "GRADER_SERVICE_IMAGE": SERVICE_IMAGE,
            "GRADER_API_PORT": str(api),
            "GRADER_POSTGRES_PORT": str(postgres),
            "GRADER_REDIS_PORT": str(redis),
            "GRADER_WORKER_HOSTNAME": f"{project}-worker",
        })
        return cls(project=project, base_image=base_image, api_port=api, env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def worker_hostname(self) -> str:
        return self.env["GRADER_WORKER_HOSTNAME"]

    def compose(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = ["docker-compose", "--ansi", "never", "-p", self.project]
        for name in FILES:
            command += ["-f", str(REPO_ROOT / name)]
        return subprocess.run([*command, *args], cwd=REPO_ROOT, env=self.env, timeout=timeout,
                              capture_output=True, text=True, check=False)

    def checked(self, *args: str, timeout: float = 120) -> str:
        """Run a compose command; its stdout, or an error carrying its output and the logs."""
        done = self.compose(*args, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"docker-compose {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n{self.logs()}")
        return done.stdout

    def worker_sandboxes(self) -> list[dict[str, Any]]:
        """The sandbox containers the compose worker started (labelled with its host name)."""
        found = engine.connect().api.containers(all=True,
                                                filters={"label": f"{LABEL_SANDBOX}=1"})
        owner = self.worker_hostname + ":"
        return [c for c in found if (c.get("Labels") or {}).get(LABEL_OWNER, "").startswith(owner)]

    def run_health_check(self, service: str) -> tuple[int, str]:
        """The service's own health check command, run once now in its container:
        (exit code, output). Docker's schedule (every 5-30 s) is too slow to wait for."""
        container = engine.connect().containers.get(self.checked("ps", "-q", service).strip())
        kind, *test = container.attrs["Config"]["Healthcheck"]["Test"]
        code, output = container.exec_run(["sh", "-c", test[0]] if kind == "CMD-SHELL" else test)
        return code, output.decode(errors="replace")[-500:]

    def logs(self) -> str:
        done = self.compose("logs", "--no-color", "--tail", "40", timeout=60)
        return "--- service logs ---\n" + done.stdout[-6000:]


def prepare(base_image: str) -> None:
    """The service image's wheels for the base (deploy/wheelhouse.sh, cached)."""
    subprocess.run([str(REPO_ROOT / "deploy" / "wheelhouse.sh"), base_image], check=True,
                   env={**os.environ, "PYTHON": sys.executable}, timeout=900)


# The classic builder (docker-compose 1.x) keeps the container of a step that
# failed unless told otherwise (`up --build` cannot be): one stopped container
# left on the engine per failed build.
BUILD = ("build", "--force-rm")
# The tags the stack's build makes (docker-compose.yml, deploy/compose.offline.yml).
STACK_IMAGES = (SERVICE_IMAGE, "grader-redis:offline", "grader-postgres:offline")


def build_images(stack: ComposeStack, *, timeout: float) -> None:
    """Build the stack's images, and remove those the build replaced: the
    service image holds the grader's source, so every change rebuilds it and
    the old one (665 MB) would stay on the engine untagged. Never forced: one a
    container still uses stays."""
    client = engine.connect()
    before = {tag: _image_id(client, tag) for tag in STACK_IMAGES}
    stack.checked(*BUILD, timeout=timeout)
    for tag, old in before.items():
        if old is None or old == _image_id(client, tag):
            continue
        with contextlib.suppress(docker.errors.APIError):
            if not client.images.get(old).tags:
                client.images.remove(old)


def _image_id(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


@contextmanager
def running(project: str, base_image: str, *,
            build_timeout: float = 1500) -> Iterator[ComposeStack]:
    """Build, `up -d` a project; always `down -v` it (that project only) afterwards."""
    stack = ComposeStack.make(project, base_image)
    prepare(base_image)
    try:
        build_images(stack, timeout=build_timeout)
        stack.checked("up", "-d", "--no-build", timeout=300)
        yield stack
    finally:
        stack.compose("down", "-v", "--remove-orphans", "--timeout", "30", timeout=300)
        # A worker killed before it could clean up leaves its sandboxes: ours, by label.
        for container in stack.worker_sandboxes():
            engine.connect().api.remove_container(container["Id"], force=True)


def build() -> None:
    """Build the stack's images without starting it (scripts/setup --tests)."""
    if shutil.which("docker-compose") is None:
        raise SystemExit("docker-compose is not installed (apt-get install docker-compose)")
    base = host_base_image()
    prepare(base)
    stack = ComposeStack.make("gradercomposebuild", base)
    build_images(stack, timeout=1800)
    print(f"compose stack images built on {base}")


if __name__ == "__main__":
    build()
