"""Migrations, settings and accounts: schema equals the models after
`migrate`, secrets are refused or generated, passwords and tokens are hashed."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import argon2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import select, text

from grader.auth import hash_password, verify_password
from grader.db import ApiToken, Base, Database, Role, User
from grader.db.session import alembic_config
from grader.services import accounts, config
from grader.services.errors import Conflict, Invalid, NotFound
from grader.settings import Settings


def test_migrations_build_exactly_the_models_and_run_twice(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.migrate()
    db.migrate()  # every process migrates on start: the second is a no-op
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert config.database_url(settings) == f"sqlite:///{tmp_path / 'd' / 'grader.db'}"
    assert config.redis_url(settings) == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("weak", ["", "secret", "changeme", "short-but-random"])
def test_production_refuses_weak_secret_keys(weak: str) -> None:
    with pytest.raises(ValidationError, match="GRADER_SECRET_KEY must be set"):
        Settings(environment="production", secret_key=weak)
    Settings(environment="production", secret_key="k" * 40)


def test_development_generates_a_private_key_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = config.secret_key(settings)
    assert len(first) == 64 and config.secret_key(settings) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert config.secret_key(Settings(data_dir=tmp_path, secret_key="given")) == b"given"


@pytest.mark.real_password_hashes
def test_passwords_are_argon2() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert argon2.extract_parameters(stored) == argon2.profiles.RFC_9106_LOW_MEMORY
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "x")


def test_tokens_are_shown_once_and_stored_hashed(db: Database) -> None:
    accounts.create_user(db=db, name="tess", role=Role.AUTHOR, password="pw")
    user, token = accounts.create_token(db=db, name="tess")
    assert token.startswith("grd_") and user.role == "author"
    with db.session() as session:
        row = session.scalars(select(ApiToken)).one()
        assert token not in (row.token_hash, row.prefix) and token.startswith(row.prefix)
        assert session.scalars(select(User.password_hash)).one() != "pw"
    found = accounts.user_for_token(db=db, token=token)
    assert found is not None and found.name == "tess"
    assert accounts.user_for_password(db=db, name="tess", password="pw") is not None
    assert accounts.user_for_password(db=db, name="tess", password="no") is None
    assert accounts.revoke_tokens(db=db, name="tess") == 1
    assert accounts.user_for_token(db=db, token=token) is None


def test_account_errors_are_clear(db: Database) -> None:
    accounts.create_user(db=db, name="uma", role=Role.STUDENT)
    with pytest.raises(Conflict, match="user 'uma' already exists"):
        accounts.create_user(db=db, name="uma", role=Role.STUDENT)
    with pytest.raises(Invalid, match="user name"):
        accounts.create_user(db=db, name="bad name!", role=Role.STUDENT)
    with pytest.raises(NotFound, match="grader users add ghost"):
        accounts.create_token(db=db, name="ghost")


def test_password_login_gives_a_token(client: Any, db: Database) -> None:
    accounts.create_user(db=db, name="lee", role=Role.STUDENT, password="s3cret-pw")
    made = client.post("/api/v1/tokens", auth=("lee", "s3cret-pw"))
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert made.json()["role"] == "student"
    listed = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    wrong = client.post("/api/v1/tokens", auth=("lee", "nope"))
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong name or password"
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert client.post("/api/v1/tokens").status_code == 401
    for _ in range(5):  # the limit (5 per window in these tests) counts attempts per name
        client.post("/api/v1/tokens", auth=("lee", "guess"))
    limited = client.post("/api/v1/tokens", auth=("lee", "s3cret-pw"))
    assert limited.status_code == 429 and "Retry-After" in limited.headers
