"""`grader exercises mutant new|edit|save SLUG NAME`: write a mutant as an
edited copy of the solution, stored as a patch.

new: copies solution/ to mutants/NAME/ (and a mutant.toml to fill in);
edit: turns mutants/NAME.patch back into that folder;
save: turns the edited folder into mutants/NAME.patch and removes the folder.
Packs are found by slug without being loaded: a half-edited mutant must not
stop its own save.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.console import console, fail, user_errors
from grader.exercises.mutants import folder_to_patch, new_folder, patch_to_folder
from grader.exercises.pack import discover
from grader.settings import get_settings

app = typer.Typer(help="Write mutants: edit a copy of the solution, save it as a patch.",
                  no_args_is_help=True)  # fmt: skip

Slug = Annotated[str, typer.Argument(help="The exercise's slug.")]
Name = Annotated[str, typer.Argument(help="The mutant's name, e.g. off-by-one-cursor.")]


def _pack(slug: str) -> Path:
    root = get_settings().exercises_dir
    packs = {p.name: p for p in discover([root])} if root.is_dir() else {}
    if slug not in packs:
        fail(f"no exercise '{slug}' under {root}")
    return packs[slug]


@app.command("new")
def new(slug: Slug, name: Name) -> None:
    """Copy solution/ to mutants/NAME/ to edit (then: mutant save)."""
    with user_errors():
        folder = new_folder(_pack(slug), name)
    console.print(f"created [bold]{folder}[/]: make one mistake in it, fill in mutant.toml, "
                  f"then run: grader exercises mutant save {slug} {name}")


@app.command("edit")
def edit(slug: Slug, name: Name) -> None:
    """Turn mutants/NAME.patch back into the folder mutants/NAME/ to edit."""
    with user_errors():
        folder = patch_to_folder(_pack(slug), name)
    console.print(f"[bold]{folder}[/] holds the mutant again; when done: "
                  f"grader exercises mutant save {slug} {name}")


@app.command("save")
def save(slug: Slug, name: Name) -> None:
    """Turn the edited folder mutants/NAME/ into mutants/NAME.patch (and remove it)."""
    with user_errors():
        patch = folder_to_patch(_pack(slug), name)
    console.print(f"saved [bold]{patch}[/]; prove it with: grader exercises check "
                  f"{patch.parent.parent}")
