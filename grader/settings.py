"""The one settings class: every knob, read from `GRADER_*` environment variables.

Documented in the README's settings table; keep the two in step.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sandbox.limits import SandboxLimits

REPO_ROOT = Path(__file__).resolve().parent.parent
# Secret keys that appear in examples and must never sign anything in production.
_WEAK_SECRETS = {"", "secret", "changeme", "change-me", "dev", "development", "grader", "test"}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "grader"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRADER_", env_file=None, extra="ignore")

    # --- exercises and sandbox -------------------------------------------
    exercises_dir: Path = REPO_ROOT / "exercises"
    docker_url: str | None = None  # None: DOCKER_HOST or the local socket
    runtime: Literal["runc", "runsc"] = "runc"  # "runsc" runs sandboxes under gVisor
    # Base of the sandbox images. An ordinary registry image by default; where
    # it cannot be pulled, an offline Debian base is built (sandbox.offline_base).
    base_image: str = "python:3.11-slim"
    offline_base: bool = True  # build the offline base when base_image cannot be had
    # Server-wide caps: an exercise's [limits] never go above these.
    max_wall_seconds: Annotated[float, Field(gt=0)] = 30.0
    max_memory_mb: Annotated[int, Field(ge=32)] = 512
    max_cpus: Annotated[float, Field(gt=0)] = 1.0
    max_processes: Annotated[int, Field(ge=8)] = 256
    max_output_kb: Annotated[int, Field(ge=1)] = 1024
    max_call_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Warm sandboxes (sandbox/pool.py): each worker process keeps a container
    # started ahead for each of its this-many most recently graded exercises,
    # so their next grading skips start-up; 0 turns it off. A warm container
    # idle this long is replaced (it holds no submission, only memory); at
    # most half of sandbox_max_age_seconds() (see warm_idle_seconds()).
    warm_sandboxes: Annotated[int, Field(ge=0, le=16)] = 2
    # Ready containers per such exercise and worker *process*. A prefork child
    # grades one submission at a time, so 1 is its share of the worker's
    # concurrency: a worker of concurrency N keeps N ready per hot exercise,
    # and a back-to-back submission takes the one being started (pool.py).
    # More only helps callers that grade on several threads in one process.
    warm_sandboxes_per_key: Annotated[int, Field(ge=1, le=16)] = 1
    # Up to this many more for an exercise whose submissions come faster than
    # a warm container loads (a deadline's back-to-back submissions): a take
    # that finds its container still loading asks for one more, and each one
    # that then waits out its idle time gives one back (sandbox/pool.py).
    warm_sandboxes_back_to_back: Annotated[int, Field(ge=0, le=8)] = 2
    warm_sandbox_idle_seconds: Annotated[float, Field(gt=0)] = 120.0

    # --- service: API, queue, storage (issue 3) -----------------------------
    # Everything below belongs to the web service and the workers; the helpers
    # that use it live in grader/services/config.py.
    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default_factory=lambda: _default_data_dir())
    database_url: str | None = None  # None: SQLite file <data_dir>/grader.db
    redis_url: str | None = None  # None: redis://127.0.0.1:6379/0 (`grader up` may start one)
    # HMAC key for webhook signatures. Empty in development: a random key is
    # generated once and kept in <data_dir>/secret_key. Production refuses
    # empty or well-known values (see _check_secret).
    secret_key: SecretStr = SecretStr("")
    api_host: str = "127.0.0.1"
    api_port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # Submissions per user per window; counted in Redis so every API process agrees.
    rate_limit_submissions: Annotated[int, Field(ge=1)] = 30
    rate_limit_window_seconds: Annotated[int, Field(ge=1)] = 60
    queue_max_depth: Annotated[int, Field(ge=1)] = 1000  # more queued submissions than this: 503
    # Dedicated worker pools (docs/service.md): runner name or exercise slug ->
    # queue, the slug winning; JSON ('{"sql": "grading-sql"}') or "sql=grading-sql,
    # ...". Empty: every grading on "grading". Same value on the API and workers.
    grading_routes: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    max_submission_bytes: Annotated[int, Field(ge=1)] = 2_000_000  # hard cap on any upload
    # Request bodies are cut off at these while they stream (grader/api/body_limit.py):
    # submission uploads at max_request_bytes (unset: request_bytes_cap()), every
    # other route (sign-in, admin forms, regrades) at max_form_bytes.
    max_request_bytes: Annotated[int, Field(ge=1024)] | None = None
    max_form_bytes: Annotated[int, Field(ge=1024)] = 65_536
    # Webhook targets allowed besides public addresses, comma-separated CIDRs
    # and host names (a campus LMS: "10.20.0.0/16, lms.campus.example").
    callback_allowed_networks: str = ""
    # Grading retries on infrastructure faults, then `not_gradable`.
    grade_max_retries: Annotated[int, Field(ge=0)] = 3
    grade_retry_backoff_seconds: Annotated[float, Field(ge=0)] = 5.0
    # Gradings started that never finished (worker lost, result that cannot be
    # recorded), then `not_gradable`: a cap apart from grade_max_retries, which
    # counts the infrastructure faults the worker caught (services.grading_jobs).
    grade_max_attempts: Annotated[int, Field(ge=1)] = 3
    # A running submission whose worker went silent this long is re-queued;
    # a queued one this long without a worker claiming it is re-enqueued.
    running_deadline_seconds: Annotated[float, Field(gt=0)] = 300.0
    queued_deadline_seconds: Annotated[float, Field(gt=0)] = 120.0
    sweep_interval_seconds: Annotated[float, Field(gt=0)] = 30.0
    webhook_max_retries: Annotated[int, Field(ge=0)] = 5
    webhook_backoff_seconds: Annotated[float, Field(ge=0)] = 2.0
    webhook_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Live status streams (grader/http/stream_slots.py), counted per API process:
    # each open one costs a poll of the database, so they are capped per user
    # and in all, and none lives longer than stream_max_seconds.
    max_streams_per_user: Annotated[int, Field(ge=1)] = 5
    max_streams: Annotated[int, Field(ge=1)] = 200
    stream_max_seconds: Annotated[float, Field(gt=0)] = 1800.0
    # Password sign-in (grader/auth/throttle.py): per (account, client address),
    # this many failures are free, then each costs a doubling wait up to the cap.
    login_free_failures: Annotated[int, Field(ge=1)] = 5
    login_max_delay_seconds: Annotated[int, Field(ge=1)] = 900
    # Published packs (docs/authoring.md, "Publishing through the service"):
    # caps on an uploaded archive (grader.exercises.archive.ArchiveLimits), and
    # whether `POST /exercises/sync` may clone local paths and file:// URLs on
    # the server (true suits one machine; production should turn it off).
    publish_max_upload_bytes: Annotated[int, Field(ge=1024)] = 4_000_000
    publish_max_total_bytes: Annotated[int, Field(ge=1024)] = 20_000_000
    publish_max_file_bytes: Annotated[int, Field(ge=1024)] = 5_000_000
    publish_max_files: Annotated[int, Field(ge=1)] = 2_000
    publish_max_ratio: Annotated[float, Field(gt=1)] = 100.0
    sync_allow_local: bool = True
    # /metrics: without a token only loopback clients may scrape; with one,
    # every scrape must send `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    # /readyz asks the Docker engine too: on one host a grading needs it. Off
    # where the API runs without one (Compose: only the worker has the socket).
    ready_check_docker: bool = True

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("environment") == "production":
            raw = value.get_secret_value()
            if raw.strip().lower() in _WEAK_SECRETS or len(raw) < 32:
                raise ValueError(
                    "GRADER_SECRET_KEY must be set to a random value of 32+ characters "
                    "in production, e.g. from `openssl rand -hex 32`"
                )
        return value

    @field_validator("grading_routes", mode="before")
    @classmethod
    def _check_routes(cls, value: object) -> dict[str, str]:
        from grader.services.routing import parse_routes

        return parse_routes(value)  # a ValueError naming GRADER_GRADING_ROUTES

    @field_validator("callback_allowed_networks")
    @classmethod
    def _check_allowed(cls, value: str) -> str:
        from grader.services.callback_policy import parse_allowed

        parse_allowed(value)  # a ValueError naming the entry it cannot read
        return value

    def request_bytes_cap(self) -> int:
        """The body limit of a submission upload: its text, plus room for JSON
        escapes (a quote or tab doubles) and multipart headers."""
        return self.max_request_bytes or 2 * self.max_submission_bytes + 65_536

    def sandbox_max_age_seconds(self) -> float:
        """Past this age no grading can still run in a sandbox, whoever started
        it: the orphan sweep removes any sandbox older (worker/tasks.py)."""
        return self.max_wall_seconds + self.running_deadline_seconds

    def warm_idle_seconds(self) -> float:
        """warm_sandbox_idle_seconds, kept to half the sweep's age limit so the
        sweep never takes a warm sandbox from a live worker."""
        return min(self.warm_sandbox_idle_seconds, self.sandbox_max_age_seconds() / 2)

    def limit_caps(self) -> SandboxLimits:
        return SandboxLimits(
            wall_seconds=self.max_wall_seconds,
            memory_mb=self.max_memory_mb,
            cpus=self.max_cpus,
            processes=self.max_processes,
            output_kb=self.max_output_kb,
            call_timeout_seconds=self.max_call_timeout_seconds,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
