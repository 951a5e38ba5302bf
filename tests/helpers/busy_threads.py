"""Hold an in-process app's only worker thread, as a burst of requests would:
what a request does before it gets a thread (the arrival stamp) can then be
told apart from what it does after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import anyio.to_thread
from fastapi.testclient import TestClient


@contextmanager
def worker_threads_busy(client: TestClient) -> Iterator[None]:
    """While inside, the app has one worker thread and it is taken."""
    portal = client.portal
    assert portal is not None, "use the TestClient as a context manager"
    limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
    tokens = limiter.total_tokens
    portal.call(setattr, limiter, "total_tokens", 1)
    holding, free = threading.Event(), threading.Event()

    async def hog() -> None:  # the one thread's token, held until `free`
        async with limiter:
            holding.set()
            while not free.is_set():
                await anyio.sleep(0.01)

    hogged = portal.start_task_soon(hog)
    try:
        assert holding.wait(10), "the thread hog never got the thread"
        yield
    finally:
        free.set()
        hogged.result(10)
        portal.call(setattr, limiter, "total_tokens", tokens)
