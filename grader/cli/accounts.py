"""Accounts on the command line: `users add`, `tokens create` (on the
database of GRADER_DATABASE_URL; registered in grader/cli/main.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from grader.cli.console import console, err_console, fail, open_database
from grader.db import Role
from grader.services import accounts
from grader.services.errors import ServiceError

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="student, author or admin.")] = Role.STUDENT,
    password: Annotated[str | None, typer.Option(
        envvar="GRADER_NEW_PASSWORD", help="Optional password (hashed with argon2).")] = None,
) -> None:
    """Add a user. Get them an API token with `grader tokens create NAME`."""
    try:
        db = open_database()
        user = accounts.create_user(db=db, name=name, role=role, password=password)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"added {user.name} ({user.role}); token: grader tokens create {user.name}")


@tokens_app.command("create")
def tokens_create(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Create an API token; it is shown once and only its hash is stored."""
    try:
        _, token = accounts.create_token(db=open_database(), name=name)
    except ServiceError as exc:
        fail(exc.message)
    err_console.print(f"token for {name} (shown once; keep it secret):")
    typer.echo(token)
