"""`grader exercises publish PATH` and `grader exercises sync REPO`: send packs
to a running service, follow their proving live, say what became of each.

Exit status: 0 every pack proven, 1 one failed its check, 2 one was refused
(bad archive or pack, not yours, bad usage), 3 the service could not be reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from grader.cli.console import EXIT_BAD_INPUT, EXIT_INFRASTRUCTURE, console, fail, print_error
from grader.exercises.archive import pack_archive
from grader.exercises.git_source import GitSourceError, cloned_packs

EXIT_FAILED = 1
Url = Annotated[str, typer.Option(envvar="GRADER_URL", help="The service.")]
Token = Annotated[str | None, typer.Option(envvar="GRADER_TOKEN", help="An author's API token.")]


class Refused(Exception):
    """The service refused the pack (4xx); the message is its answer."""


def _events(http: httpx.Client, version_id: int) -> Iterator[tuple[str, Any]]:
    with http.stream("GET", f"/exercise-versions/{version_id}/events",
                     timeout=httpx.Timeout(30, read=None)) as response:
        if response.status_code >= 400:
            response.read()
            raise Refused(f"{response.status_code}: {response.text}")
        name = "message"
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                yield name, json.loads(line[len("data: "):])


def publish_one(http: httpx.Client, folder: Path, *, follow: bool = True) -> dict[str, Any]:
    """Upload one pack folder and (with follow) print its proving; the final version."""
    response = http.post("/exercises", content=pack_archive(folder),
                         headers={"Content-Type": "application/gzip"})
    if 400 <= response.status_code < 500:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise Refused(f"{folder}: {response.status_code}: {detail}")
    response.raise_for_status()
    result = response.json()
    version = result["version"]
    for warning in result.get("warnings", []):
        console.print(f"  warning: {warning}", highlight=False)
    said = "published" if result["created"] else "already published as"
    console.print(f"{said} {version['slug']} version {version['id']} "
                  f"({version['content_hash']}): {version['status']}", highlight=False)
    if not follow or version["status"] in ("proven", "failed"):
        return dict(version)
    for name, data in _events(http, version["id"]):
        if name == "log":
            for line in data["lines"]:
                console.print(f"  {line}", highlight=False, markup=False)
        elif name in ("status", "verdict"):
            version = data
    return dict(version)


def _client(url: str, token: str | None) -> httpx.Client:
    if not token:
        fail("an author's API token is needed: --token or GRADER_TOKEN")
    return httpx.Client(base_url=url.rstrip("/") + "/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {token}"})


def _publish_all(url: str, token: str | None, folders: list[Path]) -> None:
    outcomes: dict[str, str] = {}
    with _client(url, token) as http:
        for folder in folders:
            try:
                version = publish_one(http, folder)
                outcomes[folder.name] = version["status"]
                if version["status"] == "failed":
                    print_error(f"{folder.name}: {version.get('verdict')}")
            except Refused as exc:
                outcomes[folder.name] = "refused"
                print_error(str(exc))
            except (OSError, httpx.HTTPError) as exc:
                fail(f"cannot reach {url}: {exc}", EXIT_INFRASTRUCTURE)
    if len(folders) > 1:
        for slug, outcome in outcomes.items():
            console.print(f"{slug:30} {outcome}", highlight=False)
    if "refused" in outcomes.values():
        raise typer.Exit(EXIT_BAD_INPUT)
    if any(o != "proven" for o in outcomes.values()):
        raise typer.Exit(EXIT_FAILED)


def publish(
    path: Annotated[Path, typer.Argument(help="A pack folder (holding exercise.toml).")],
    url: Url = "http://127.0.0.1:8000", token: Token = None,
) -> None:
    """Publish a pack to the service and follow its proving until the verdict."""
    if not (path / "exercise.toml").is_file():
        fail(f"{path}: not a pack folder (no exercise.toml)")
    _publish_all(url, token, [path])


def sync(
    repo: Annotated[str, typer.Argument(help="A git repository: a local path or a URL.")],
    ref: Annotated[str | None, typer.Option(help="Branch, tag or commit; default HEAD.")] = None,
    url: Url = "http://127.0.0.1:8000", token: Token = None,
) -> None:
    """Publish every pack of a git repository at REF; one line per pack at the end."""
    try:
        with cloned_packs(repo, ref, allow_local=True) as clone:
            if not clone.packs:
                fail(f"no pack (exercise.toml) in {repo} at {ref or 'HEAD'}")
            _publish_all(url, token, clone.packs)
    except GitSourceError as exc:
        fail(str(exc))
