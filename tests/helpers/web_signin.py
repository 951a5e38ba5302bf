"""What the web tests share besides fixtures: the users and their passwords,
and signing in through the form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from grader.db import Role

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
USERS = {"alice": Role.STUDENT, "bob": Role.STUDENT, "ada": Role.AUTHOR, "root": Role.ADMIN}


def password(name: str) -> str:
    return f"pw-{name}-correct horse"


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/signin")
    assert page.status_code == 200
    answer = client.post("/signin", data={"name": name, "password": password(name),
                                          "csrf_token": csrf_of(page.text), "next": "/exercises"})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/exercises").text)
