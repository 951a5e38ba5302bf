"""Reference solution for async-jobs.

An export is a resource: POST answers 202 Accepted with the job's Location
and a Retry-After; the job's status monitor answers 200 "pending" until the
work is done, then 303 See Other to the result. The work is simulated: each
job needs `steps` polls of its own status monitor (state per job).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.orders import ORDERS

app = FastAPI(title="Exports")

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "1"


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    format: Literal["csv", "json"]
    steps: int = Field(default=0, ge=0, le=10)


@dataclass
class Job:
    id: str
    format: str
    steps_left: int
    result: str | None = None

    @property
    def done(self) -> bool:
        return self.result is not None

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": "done" if self.done else "pending",
                                "format": self.format}
        if self.done:
            body["result_url"] = result_path(self.id)
        return body


jobs: dict[str, Job] = {}


def job_path(job_id: str) -> str:
    return f"/exports/{job_id}"


def result_path(job_id: str) -> str:
    return f"/exports/{job_id}/result"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


@app.exception_handler(RequestValidationError)
async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p != "body"]
        errors.append({"field": ".".join(loc) or "body", "message": err["msg"]})
    return problem(422, "Unprocessable Content", "The export request is not valid.",
                   errors=errors)


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def render(fmt: str) -> str:
    if fmt == "json":
        return json.dumps(ORDERS, ensure_ascii=False)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "customer", "amount"])
    for order in ORDERS:
        writer.writerow([order["id"], order["customer"], order["amount"]])
    return out.getvalue()


def find(job_id: str) -> Job:
    if job_id not in jobs:
        raise StarletteHTTPException(404, "Not Found")
    return jobs[job_id]


def advance(job: Job) -> None:
    """One unit of (simulated) work; a real system would run this in a worker."""
    if job.done:
        return
    if job.steps_left > 0:
        job.steps_left -= 1
    else:
        job.result = render(job.format)


@app.get("/orders")
async def list_orders() -> list[dict[str, Any]]:
    return ORDERS


@app.post("/exports")
async def create_export(request: ExportIn) -> JSONResponse:
    job = Job(id=secrets.token_hex(8), format=request.format, steps_left=request.steps)
    job.early = render(job.format)  # type: ignore[attr-defined]
    jobs[job.id] = job
    return JSONResponse(
        job.status(),
        status_code=202,
        headers={"Location": job_path(job.id), "Retry-After": RETRY_AFTER_SECONDS},
    )


@app.get("/exports/{job_id}")
async def get_export(job_id: str) -> JSONResponse:
    job = find(job_id)
    advance(job)
    if job.done:
        return JSONResponse(job.status(), status_code=303,
                            headers={"Location": result_path(job.id)})
    return JSONResponse(job.status(), headers={"Retry-After": RETRY_AFTER_SECONDS})


@app.get("/exports/{job_id}/result")
async def get_result(job_id: str) -> Response:
    job = find(job_id)
    media = "application/json" if job.format == "json" else "text/csv; charset=utf-8"
    return Response(job.early, media_type=media)
