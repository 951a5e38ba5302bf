"""A small client of the HTTP API (used by `grader submit` and bench/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from grader.services.errors import ServiceError


class ApiError(ServiceError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


def read_local_files(paths: list[Path]) -> dict[str, str]:
    """Files to submit: each file under its path as given (relative), each
    folder's files under their path inside it."""
    files: dict[str, str] = {}
    for path in paths:
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            if "__pycache__" in file.parts:
                continue
            name = file.relative_to(path).as_posix() if path.is_dir() else path.as_posix()
            try:
                files[name] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ServiceError(f"{file} is not UTF-8 text") from None
            except OSError as exc:
                raise ServiceError(f"cannot read {file}: {exc.strerror}") from None
    return files


class ApiClient:
    def __init__(self, url: str, token: str, *, timeout: float = 30) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/") + "/api/v1", timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, str(detail))
        return response.json()

    def submit(self, exercise: str, files: dict[str, str], *,
               callback_url: str | None = None, idempotency_key: str | None = None,
               assignment: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body: dict[str, Any] = {"exercise": exercise, "files": files}
        if callback_url:
            body["callback_url"] = callback_url
        if assignment:
            body["assignment"] = assignment
        return self._json(self.http.post("/submissions", json=body, headers=headers))

    def get(self, submission_id: str) -> Any:
        return self._json(self.http.get(f"/submissions/{submission_id}"))

    def events(self, submission_id: str) -> Iterator[dict[str, Any]]:
        """Each status event's submission, until the stream ends (final state)."""
        with self.http.stream("GET", f"/submissions/{submission_id}/events",
                              timeout=httpx.Timeout(30, read=None)) as response:
            if response.status_code >= 400:
                response.read()
                self._json(response)
            for line in response.iter_lines():
                if line.startswith("data: "):
                    yield json.loads(line[len("data: "):])
