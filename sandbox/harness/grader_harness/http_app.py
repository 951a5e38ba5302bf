"""The `http-app` runner: the student's ASGI app, served by uvicorn as the student.

One server per run on a free loopback port, started before the first test.
If it never answers, every test is an error and the report says why with
the end of the app's log. If it stops during the run (a crash, the memory or
output limit, or our kill after a request timed out), the next test starts
it again, so one bad request costs one test; the app's state is lost then.

The command (docs/authoring.md, "Runner http-app"), as the student user:

    python -c <clock_shim.py> FD -m uvicorn MODULE:ATTR --host 127.0.0.1
        --port PORT --no-access-log --no-proxy-headers --app-dir WORKSPACE

with the exercise's `[http_app] env` added to the student's environment.
In a warm sandbox the first start takes the interpreter prestart.py started
ahead and released with the files: the same command, uvicorn and FastAPI
already imported; restarts are cold.
No proxy headers: request.client.host is always the real peer, and
X-Forwarded-For is a header like any other (an exercise may test that the
app does not trust it). A test acts as another client by connecting from
another loopback address (`client_from("127.0.0.7")`): all of 127.0.0.0/8
is local, and the app listens on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpcore  # noqa: F401  (httpx loads it on the first request: in a warm sandbox, before)
import httpx
import pytest

from grader_harness.app_env import check_env
from grader_harness.clock import shim_argv
from grader_harness.errors import (
    AppNotAnswering,
    HarnessFault,
    StartupFailed,
    StudentCrashed,
    StudentTimeout,
)
from grader_harness.messages import clean_log
from grader_harness.prestart import free_port
from grader_harness.state import STATE_KEY, RunState
from grader_harness.student import StudentProcess

STARTUP_SECONDS = 10.0
LOG_LINES = 20
# httpx builds a TLS context (loading the CA bundle) for every client it
# makes, about 50 ms here, and each test gets a new client: build one once.
# The app speaks plain HTTP and the sandbox has no network, so it trusts no
# certificate at all (verification stays on: an https:// URL simply fails),
# and loading no CA bundle saves every sandbox about 14 ms of CPU.
_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.25):
            return True
    except OSError:
        return False


def app_env(state: RunState) -> dict[str, str]:
    """The exercise's `[http_app] env`, checked again: a bad one is the exercise's fault."""
    try:
        return check_env(state.config.options.get("env", {}))
    except ValueError as exc:
        state.fault = f"the exercise's http_app.env {exc}"
        raise HarnessFault(state.fault) from None


class AppServer:
    def __init__(self, state: RunState, app: str, env: dict[str, str] | None = None) -> None:
        self.state = state
        self.app = app
        self.env = env or {}
        self.port = free_port()
        self.proc: StudentProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return "" if self.proc is None else self.proc.tail.text()

    def start(self, again: bool = False) -> None:
        # The app's start-up output is the student's to see (phases.py says
        # when it is not: a restart after a hidden test).
        with self.state.procs.phases.startup():
            self._start(again)

    def _start(self, again: bool) -> None:
        taken = self.state.take_prestarted()
        if taken is not None:
            self.state.procs.phases.process_started()  # what procs.start says for a cold one
            self.proc = proc = taken.proc
            self.port = taken.port  # a cold restart listens there again
        else:
            clock = self.state.run_clock()
            argv = shim_argv(sys.executable, clock, "uvicorn", [
                self.app, "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
                "--no-proxy-headers", "--app-dir", str(self.state.workspace)])
            self.proc = proc = self.state.procs.start("app", argv, env=self.env,
                                                      pass_fds=(clock.reader_fd,))
        # Past the run's deadline the alarm stops us (a timeout), not this loop.
        give_up = time.monotonic() + min(STARTUP_SECONDS, self.state.deadline.remaining() + 1)
        while not _answers(self.port):
            if proc.poll() is not None:
                self._failed(f"it {proc.exit_text()}", again)
            if time.monotonic() > give_up:
                self.stop()
                self._failed(f"it did not answer on its port within {STARTUP_SECONDS:g} s", again)
            time.sleep(0.05)

    def _failed(self, reason: str, again: bool) -> None:
        __tracebackhide__ = True
        assert self.proc is not None
        self.proc.wait(1.0)
        self.proc.reader.join(1.0)  # the last lines of the log explain the failure
        # Only a log the output policy shows: a restarted app may print what
        # an earlier one kept from a hidden test.
        shown = self.state.procs.phases.showing
        log = clean_log(self.proc.tail.text(), self.state.workspace, LOG_LINES) if shown else ""
        head = "the app did not start again after it stopped" if again else "the app did not start"
        raise StartupFailed(f"{head}: {reason}" + (f"\n{log}" if log else ""), head)

    def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start(again=True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.killed_by_us = True
            self.proc.popen.kill()
            self.proc.wait(2.0)

    def failure(self, request: httpx.Request) -> StudentCrashed | AppNotAnswering:
        what = f"answering {request.method} {request.url.path}"
        if self.proc is not None and self.proc.wait(0.5) is not None:
            return StudentCrashed(self.state.ended_text(self.proc, what, who="the app"))
        return AppNotAnswering(f"the app closed the connection without {what}")


class StudentClient(httpx.Client):
    """httpx.Client for the student's app: its failures become student-facing errors."""

    def __init__(self, server: AppServer, **kwargs: Any) -> None:
        kwargs.setdefault("verify", _TLS)
        super().__init__(**kwargs)
        self._grader_server = server

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        __tracebackhide__ = True
        try:
            return super().send(request, **kwargs)
        except httpx.TimeoutException:
            self._grader_server.state.timed_out()  # also stops the app: the next test restarts it
            limit = self._grader_server.state.call_timeout
            raise StudentTimeout(
                f"the app did not answer {request.method} {request.url.path} within {limit:g} s"
            ) from None
        except httpx.TransportError:
            raise self._grader_server.failure(request) from None


@pytest.fixture(scope="session", autouse=True)
def _grader_app(request: pytest.FixtureRequest) -> Iterator[AppServer]:
    state = request.config.stash[STATE_KEY]
    server = AppServer(state, str(state.config.options["app"]), app_env(state))
    try:
        server.start()
    except StartupFailed as exc:
        # pytest raises this same error again for every test: the report's
        # message has it in full, each test its summary.
        state.startup_message = str(exc)
        exc.shared = True
        raise
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _grader_app_running(_grader_app: AppServer) -> None:
    _grader_app.ensure_running()


@pytest.fixture(scope="session")
def base_url(_grader_app: AppServer) -> str:
    return _grader_app.base_url


@pytest.fixture
def client(_grader_app: AppServer, call_timeout: float) -> Iterator[httpx.Client]:
    with StudentClient(_grader_app, base_url=_grader_app.base_url, timeout=call_timeout) as http:
        yield http


@pytest.fixture(scope="session")
def app_log(_grader_app: AppServer) -> Callable[[], str]:
    return _grader_app.log


def loopback_address(address: str) -> str:
    """An IPv4 address of 127.0.0.0/8 a client can bind (ValueError otherwise)."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"client_from({address!r}): not an IPv4 address") from None
    if not ip.is_loopback or str(ip) in ("127.0.0.0", "127.255.255.255"):
        raise ValueError(f"client_from({address!r}): use a loopback address such as "
                         "127.0.0.2 (the sandbox has no other network)")
    return str(ip)


@pytest.fixture
def client_from(_grader_app: AppServer, call_timeout: float
                ) -> Iterator[Callable[[str], httpx.Client]]:
    """`client_from("127.0.0.2")`: a client whose requests the app sees coming
    from that address (request.client.host); closed when the test ends."""
    made: list[httpx.Client] = []

    def make(address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=loopback_address(address), verify=_TLS)
        http = StudentClient(_grader_app, base_url=_grader_app.base_url, timeout=call_timeout,
                             transport=transport)
        made.append(http)
        return http

    yield make
    for http in made:
        http.close()
