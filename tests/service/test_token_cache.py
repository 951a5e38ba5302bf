"""API tokens found valid are remembered a moment (services.token_cache):
a revocation or role change in this process counts at once, one made
elsewhere (the CLI: another Database, another process) within the TTL;
hostile tokens are refused without an error and never remembered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from grader.auth import hash_token
from grader.db import ApiToken, Database, Role, User, utcnow
from grader.services import accounts, admin, token_cache
from grader.services.token_cache import TokenCache
from tests.helpers.service_fakes import Account

LIST = "/api/v1/submissions"


def test_revoking_in_this_process_counts_at_once(
    client: TestClient, db: Database, alice: Account,
) -> None:
    assert client.get(LIST, headers=alice.headers).status_code == 200  # now remembered
    assert len(token_cache.for_database(db)) == 1
    accounts.revoke_tokens(db=db, name="alice")
    answer = client.get(LIST, headers=alice.headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


def test_revoking_one_token_on_the_admin_page_counts_at_once(
    client: TestClient, db: Database, alice: Account,
) -> None:
    assert client.get(LIST, headers=alice.headers).status_code == 200
    token_id = next(t.id for t in admin.list_tokens(db=db) if t.user == "alice")
    admin.revoke_token(db=db, token_id=token_id)
    assert client.get(LIST, headers=alice.headers).status_code == 401


def test_revoking_elsewhere_counts_within_the_ttl(
    client: TestClient, db: Database, alice: Account, tmp_path: Path,
) -> None:
    token_cache.for_database(db).ttl = 0.5
    assert client.get(LIST, headers=alice.headers).status_code == 200
    cli = Database(db.url)  # as `grader tokens revoke` would: its own engine and caches
    try:
        accounts.revoke_tokens(db=cli, name="alice")
    finally:
        cli.dispose()
    assert client.get(LIST, headers=alice.headers).status_code == 200  # remembered
    time.sleep(0.6)
    assert client.get(LIST, headers=alice.headers).status_code == 401


def test_a_role_change_counts_at_once(db: Database, author: Account, alice: Account) -> None:
    user = accounts.user_for_token(db=db, token=author.token)
    assert user is not None and user.role == "author"
    assert accounts.remembered_user(db=db, token=author.token) is not None
    acting = accounts.user_for_token(db=db, token=alice.token)
    assert acting is not None
    admin.set_role(db=db, name="ada", role="student", acting=acting)
    assert accounts.remembered_user(db=db, token=author.token) is None
    again = accounts.user_for_token(db=db, token=author.token)
    assert again is not None and again.role == "student"


def test_each_request_gets_its_own_user(db: Database, alice: Account) -> None:
    assert accounts.user_for_token(db=db, token=alice.token) is not None
    first = accounts.remembered_user(db=db, token=alice.token)
    second = accounts.remembered_user(db=db, token=alice.token)
    assert first is not None and second is not None and first is not second
    first.role = "admin"  # a request's change stays its own
    assert second.role == "student"
    third = accounts.remembered_user(db=db, token=alice.token)
    assert third is not None and third.role == "student" and third.name == "alice"


@pytest.mark.parametrize("token", [
    "", "grd_", "grd_" + "x" * 200, "not-a-token", "grd_" + "\udcff" * 30,
    "grd_" + "a" * 43 + "\x00", "' OR 1=1 --grd_aaaaaaaaaaaaaaaaaaaaaaaaa",
])
def test_hostile_tokens_are_refused_and_not_remembered(db: Database, token: str) -> None:
    assert accounts.user_for_token(db=db, token=token) is None
    assert accounts.remembered_user(db=db, token=token) is None
    assert len(token_cache.for_database(db)) == 0


def test_hostile_headers_are_a_401(client: TestClient, db: Database) -> None:
    for value in (b"Bearer grd_\xff\xfe" + b"a" * 40, b"Bearer " + b"a" * 5000, b"Basic x"):
        answer = client.get(LIST, headers={"Authorization": value})
        assert answer.status_code == 401
    assert len(token_cache.for_database(db)) == 0


def test_a_read_that_raced_a_revocation_is_not_remembered(db: Database, alice: Account) -> None:
    cache = token_cache.for_database(db)
    user = accounts.user_for_token(db=db, token=alice.token)
    assert user is not None
    read_at = time.monotonic()
    with db.session() as session:  # revoked by someone while that read was under way
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    token_cache.forget_all(db)
    cache.put(hash_token(alice.token), user, read_at=read_at)  # the racing read lands late
    assert accounts.remembered_user(db=db, token=alice.token) is None


def test_the_cache_is_bounded_and_expires() -> None:
    cache = TokenCache(ttl=0.2, max_entries=3)
    for i in range(5):
        cache.put(f"d{i}", User(id=i, name=f"u{i}", role=Role.STUDENT.value,
                                password_hash=None, session_version=0),
                  read_at=time.monotonic())
    assert len(cache) == 3 and cache.get("d0") is None and cache.get("d4") is not None
    time.sleep(0.25)
    assert cache.get("d4") is None
    off = TokenCache(ttl=0)
    off.put("d", User(id=1, name="u", role="student"), read_at=time.monotonic())
    assert len(off) == 0
