"""A second Docker engine of our own on this machine, for tests where each
worker grades on its own engine: a dockerd with its own data, exec root,
socket, containerd namespaces and cgroup parent, so nothing it does touches
the main engine. Started and stopped by the pid in its pid file; its
directory is removed afterwards. Needs root and dockerd."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import pytest

# Under cgroup v1 each controller gets a folder named after the cgroup parent.
_CGROUP_ROOT = Path("/sys/fs/cgroup")


def skip_unless_possible() -> None:
    """Skip the calling test, saying why, where a second engine cannot run."""
    if os.geteuid() != 0:
        pytest.skip("a second Docker engine needs root (dockerd)")
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        pytest.skip("dockerd or the docker CLI is not installed")


class SecondEngine:
    """One extra dockerd: `start()`, `load(...)` images from the main engine,
    `stop()` (removes its containers, stops it by pid, deletes its folder)."""

    def __init__(self) -> None:
        # Short and under /tmp: the socket path must fit a unix address (108 bytes).
        self.dir = Path(tempfile.mkdtemp(prefix="de2-", dir="/tmp"))
        # Our own names, so two of these (or the main engine) never share state.
        # Hex only: containerd refuses a namespace with "__" or a trailing "_",
        # which mkdtemp's random part may hold (container creation then fails).
        suffix = secrets.token_hex(4)
        self.cgroup_parent = f"docker2-{suffix}"
        self.namespace = f"moby2-{suffix}"
        self.socket = self.dir / "docker.sock"
        self.pidfile = self.dir / "docker.pid"
        self.log = self.dir / "dockerd.log"
        self.client: Any = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 60) -> SecondEngine:
        # Its own config file: the default /etc/docker/daemon.json sets bridge and
        # iptables too, and dockerd refuses a directive given in both places.
        # No bridge or iptables: sandboxes have no network, and this engine must
        # not rewrite the host's firewall rules.
        config = self.dir / "daemon.json"
        config.write_text(json.dumps({"bridge": "none", "iptables": False, "ip6tables": False}))
        argv = ["dockerd", "--config-file", str(config), "--data-root", str(self.dir / "data"),
                "--exec-root", str(self.dir / "x"), "-H", self.url, "--pidfile", str(self.pidfile),
                "--cgroup-parent", self.cgroup_parent, "--containerd-namespace", self.namespace,
                "--containerd-plugins-namespace", f"plugins-{self.namespace}"]
        with self.log.open("ab") as log:
            self.proc = proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                                start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client = docker.DockerClient(base_url=self.url, timeout=30)
                client.ping()
                self.client = client
                return self
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"second dockerd did not answer:\n{self.log_tail()}"
                                       ) from None
                time.sleep(0.2)

    def load(self, *tags: str, timeout: float = 300) -> None:
        """Copy images from the main engine: one `docker save` of all tags (shared
        layers once) piped into `docker load` here. Image ids stay the same."""
        main_env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        save = subprocess.Popen(["docker", "save", *tags], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=main_env)
        assert save.stdout is not None
        loaded = subprocess.run(["docker", "load", "-q"], stdin=save.stdout, capture_output=True,
                                env={**main_env, "DOCKER_HOST": self.url}, timeout=timeout,
                                check=False)
        save.stdout.close()
        save_err = save.communicate(timeout=timeout)[1]
        if save.returncode != 0 or loaded.returncode != 0:
            raise RuntimeError(f"copying {tags} failed: {save_err!r} {loaded.stderr!r}")

    def container_creates(self, since: float, label: str) -> list[str]:
        """Ids of the containers carrying `label` created on this engine since
        `since` (epoch seconds) until now: its own record, not the workers' word."""
        events = self.client.events(since=int(since), until=int(time.time()) + 1, decode=True,
                                    filters={"type": "container", "event": "create",
                                             "label": label})
        return [str(e["Actor"]["ID"]) for e in events]

    def stop(self) -> None:
        """Remove its containers, stop it (TERM by pid, then wait: it unmounts its
        overlays as it goes) and delete its folder and cgroups."""
        if self.client is not None:
            try:  # everything on this engine is ours
                for container in self.client.containers.list(all=True):
                    container.remove(force=True)
            except docker.errors.DockerException:
                pass  # it is stopped below either way
            self.client.close()
            self.client = None
        pid = self.proc.pid if self.proc is not None else None
        if self.pidfile.exists():  # the daemon's own word (same pid when it started)
            pid = int(self.pidfile.read_text())
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 60
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)  # reap our child
            self.proc = None
        for controller in _CGROUP_ROOT.glob(f"*/{self.cgroup_parent}"):
            with contextlib.suppress(OSError):
                controller.rmdir()  # empty once its containers are gone
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self) -> str:
        """The end of its log, for failure reports."""
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (our child reaped late)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
