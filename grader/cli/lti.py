"""`grader lti`: register LMS platforms, list them, print what to give the
LMS (the tool's URLs and public JWKS), and show a course's score passbacks."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from grader.cli.console import console, err_console, fail, load_settings, open_database
from grader.lti.keys import tool_key
from grader.services import lti_passback, lti_platforms
from grader.services.errors import ServiceError

app = typer.Typer(help="LTI 1.3: connect LMS platforms.", no_args_is_help=True)


@app.command("register")
def register(
    issuer: Annotated[str, typer.Option(help="The platform's issuer (iss).")],
    client_id: Annotated[str, typer.Option(help="The client id the LMS gave the tool.")],
    auth_login_url: Annotated[str, typer.Option(help="The platform's OIDC auth URL.")],
    auth_token_url: Annotated[str, typer.Option(help="The platform's OAuth2 token URL.")],
    key_set_url: Annotated[str, typer.Option(help="The platform's JWKS URL.")],
    deployment_id: Annotated[list[str], typer.Option(help="A deployment id (repeatable).")],
    name: Annotated[str | None, typer.Option(help="A name to show.")] = None,
) -> None:
    """Register a platform, or update it and add deployment ids."""
    try:
        made = lti_platforms.register_platform(
            db=open_database(), issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
            auth_token_url=auth_token_url, key_set_url=key_set_url,
            deployment_ids=deployment_id, name=name)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"registered {made.name}: {made.issuer} (client {made.client_id}), "
                  f"deployments {', '.join(made.deployment_ids)}")


@app.command("platforms")
def platforms() -> None:
    """The registered platforms."""
    for p in lti_platforms.list_platforms(db=open_database()):
        typer.echo(f"{p.id}\t{p.name}\t{p.issuer}\tclient {p.client_id}\t"
                   f"deployments {', '.join(p.deployment_ids)}")  # one line each: greppable


@app.command("jwks")
def jwks(
    base_url: Annotated[str, typer.Option(help="Where the service is reached, as the LMS "
                                               "sees it.")] = "http://127.0.0.1:8000",
) -> None:
    """The tool's public key set (JSON on stdout) and the URLs to give the LMS."""
    urls = lti_platforms.ToolUrls.at(base_url)
    for label, url in (("login", urls.login), ("launch/redirect", urls.launch),
                       ("deep linking", urls.deep_link), ("JWKS", urls.jwks)):
        err_console.print(f"{label}: {url}", highlight=False)  # stdout: the JSON only
    typer.echo(json.dumps(tool_key(load_settings()).jwks(), indent=2))


@app.command("passbacks")
def passbacks(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    problems: Annotated[bool, typer.Option(help="Only failed and pending ones.")] = False,
) -> None:
    """A course's score passbacks to the LMS, newest first."""
    try:
        rows = lti_passback.operator_passbacks(db=open_database(), course=course,
                                               problems_only=problems)
    except ServiceError as exc:
        fail(exc.message)
    for r in rows:
        score = "-" if r.score_sent is None else f"{r.score_sent:g}"
        typer.echo(f"{r.assignment}\t{r.student}\t{r.status}\t{score}\ttries {r.attempts}\t"
                   f"{r.last_error or ''}")
