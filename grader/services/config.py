"""Derived service settings: URLs with their defaults, and the secret key.

Settings holds what the operator wrote; these helpers turn the "unset" values
into what the service actually uses, in one place, so the API, the worker and
the CLI never disagree about which database or Redis they talk to.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from grader.settings import Settings

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_FILE = "secret_key"


def data_dir(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.data_dir


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{data_dir(settings) / 'grader.db'}"


def redis_url(settings: Settings) -> str:
    return settings.redis_url or DEFAULT_REDIS_URL


def secret_key(settings: Settings) -> bytes:
    """The HMAC key. Production must configure one (Settings refuses weak
    values); in development a random key is generated once and kept in the
    data folder, readable by its owner only, so restarts keep signatures valid."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    path = data_dir(settings) / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    return write_once(path, secrets.token_hex(32).encode()).strip()


def write_once(path: Path, data: bytes) -> bytes:
    """Store a private file (mode 0600) unless another process did first;
    returns what the file holds. A private temporary file is linked into
    place: link() fails if another process got there first, and nobody ever
    reads a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        data = path.read_bytes()
    finally:
        tmp.unlink()
    return data
