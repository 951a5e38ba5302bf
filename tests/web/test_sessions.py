"""Page sessions can be ended from the server: the cookie carries the user's
session version, and signing out everywhere, a role change or a password
change raise it (users.session_version, migration 0003)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from grader.app import create_app
from grader.db import Database
from grader.db.session import alembic_config
from grader.services import accounts, admin
from grader.services.wiring import Services
from tests.helpers.web_signin import csrf_of, password, sign_in

Browser = Callable[[], TestClient]


@pytest.fixture
def app(web_services: Services) -> FastAPI:
    return create_app(services=web_services)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Browser]:
    """Each call: another browser (its own cookie jar) on the same app."""
    opened: list[TestClient] = []

    def new() -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        opened.append(client)
        return client

    yield new
    for client in opened:
        client.__exit__(None, None, None)


def signed_in(client: TestClient) -> bool:
    return bool(client.get("/exercises").status_code == 200)


def test_sign_out_everywhere_ends_every_browsers_session(browser: Browser) -> None:
    laptop, phone = browser(), browser()
    csrf = sign_in(laptop, "alice")
    sign_in(phone, "alice")
    stolen = dict(phone.cookies)  # a copy of the cookie, as a thief would keep it
    assert "Sign out everywhere" in laptop.get("/account").text
    done = laptop.post("/signout/everywhere", data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/signin"
    assert not signed_in(laptop)
    ended = phone.get("/exercises")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/signin")
    assert "grader_session=" in ended.headers["set-cookie"]  # replaced by a signed-out one
    thief = browser()
    thief.cookies.update(stolen)
    assert not signed_in(thief)
    sign_in(phone, "alice")  # a new sign-in works as before
    assert signed_in(phone)


def test_a_role_change_ends_that_users_sessions_only(browser: Browser,
                                                     web_services: Services) -> None:
    student, other, root = browser(), browser(), browser()
    sign_in(student, "alice")
    sign_in(other, "bob")
    csrf = sign_in(root, "root")
    same = root.post("/admin/users/alice/role", data={"csrf_token": csrf, "role": "student"})
    assert same.status_code == 303 and signed_in(student)  # no change, no sign-out
    changed = root.post("/admin/users/alice/role", data={"csrf_token": csrf, "role": "author"})
    assert changed.status_code == 303
    assert not signed_in(student) and signed_in(other) and signed_in(root)
    sign_in(student, "alice")
    assert student.get("/author").status_code == 200  # signed in again, with the new role
    version = admin.get_user_by_id(db=web_services.db, user_id=accounts.get_user(
        db=web_services.db, name="alice").id)
    assert version is not None and version.session_version == 1


def test_a_password_change_keeps_this_browser_and_ends_the_others(browser: Browser) -> None:
    here, there = browser(), browser()
    csrf = sign_in(here, "alice")
    sign_in(there, "alice")
    wrong = here.post("/account/password", data={
        "csrf_token": csrf, "current_password": "nope", "new_password": "a-new-password"})
    assert wrong.status_code == 401 and "current password is wrong" in wrong.text
    short = here.post("/account/password", data={
        "csrf_token": csrf, "current_password": password("alice"), "new_password": "short"})
    assert short.status_code == 422 and "at least 8 characters" in short.text
    assert signed_in(there)  # refused changes ended nothing
    changed = here.post("/account/password", data={
        "csrf_token": csrf, "current_password": password("alice"),
        "new_password": "a-new-password"})
    assert changed.status_code == 303, changed.text
    assert signed_in(here) and not signed_in(there)
    assert "password changed" in here.get("/account?done=password+changed").text
    page = there.get("/signin")
    old = there.post("/signin", data={"name": "alice", "password": password("alice"),
                                      "csrf_token": csrf_of(page.text)})
    assert old.status_code == 401
    new = there.post("/signin", data={"name": "alice", "password": "a-new-password",
                                      "csrf_token": csrf_of(page.text)})
    assert new.status_code == 303


def test_a_password_change_refuses_another_users_token_and_hostile_passwords(
        browser: Browser) -> None:
    mine, theirs = browser(), browser()
    sign_in(mine, "alice")
    bobs = sign_in(theirs, "bob")
    # Bob's CSRF token on Alice's session: refused, nothing changed.
    forged = mine.post("/account/password", data={
        "csrf_token": bobs, "current_password": password("alice"),
        "new_password": "a-new-password"})
    assert forged.status_code == 403
    csrf = csrf_of(mine.get("/account").text)

    def change_to(new: str) -> int:
        return int(mine.post("/account/password", data={
            "csrf_token": csrf, "current_password": password("alice"),
            "new_password": new}).status_code)

    assert change_to("x" * 5000) == 422  # over the field's 1024 characters
    assert change_to("x" * 100_000) == 413  # over GRADER_MAX_FORM_BYTES, never parsed
    not_utf8 = mine.post(
        "/account/password", headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"csrf_token=" + csrf.encode()
        + b"&current_password=%FF%FE%00&new_password=" + b"%FF" * 9)
    assert not_utf8.status_code == 401 and "current password is wrong" in not_utf8.text
    assert signed_in(theirs) and signed_in(mine)  # nothing ended


def test_sign_out_everywhere_needs_the_csrf_token(browser: Browser) -> None:
    laptop = browser()
    sign_in(laptop, "alice")
    assert laptop.post("/signout/everywhere", data={}).status_code == 403
    assert signed_in(laptop)


def test_migration_0003_starts_everyone_at_zero_and_goes_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'v.db'}")
    config = alembic_config(db.url, db.engine)
    command.upgrade(config, "0002")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, role, created_at) "
                          "VALUES ('old', 'student', CURRENT_TIMESTAMP)"))
    command.upgrade(config, "0003")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT session_version FROM users")).scalar() == 0
    command.downgrade(config, "0002")
    with db.engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(users)"))]
        assert "session_version" not in columns and "name" in columns
    db.dispose()
