"""`grader exercises mutant new|edit|save SLUG NAME`: write a mutant as an
edited copy of the solution, stored as a patch.

new: copies solution/ to mutants/NAME/ (and a mutant.toml to fill in);
edit: turns mutants/NAME.patch back into that folder;
save: turns the edited folder into mutants/NAME.patch and removes the folder.
Packs are found by slug without being loaded: a half-edited mutant must not
stop its own save.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from grader.cli.console import console, user_errors
from grader.exercises.mutants import folder_to_patch, new_folder, patch_to_folder
from grader.exercises.pack import pack_folder
from grader.settings import get_settings

app = typer.Typer(help="Write mutants: edit a copy of the solution, save it as a patch.",
                  no_args_is_help=True)  # fmt: skip

Slug = Annotated[str, typer.Argument(help="The exercise's slug.")]
Name = Annotated[str, typer.Argument(help="The mutant's name, e.g. off-by-one-cursor.")]


def _in_pack(action: Callable[[Path, str], Path], slug: str, name: str) -> Path:
    """action(the pack's folder, name); an unknown slug or a refusal is one line, exit 2."""
    with user_errors():
        return action(pack_folder(slug, get_settings().exercises_dir), name)


@app.command("new")
def new(slug: Slug, name: Name) -> None:
    """Copy solution/ to mutants/NAME/ to edit (then: mutant save)."""
    folder = _in_pack(new_folder, slug, name)
    console.print(f"created [bold]{folder}[/]: make one mistake in it, fill in mutant.toml, "
                  f"then run: grader exercises mutant save {slug} {name}")


@app.command("edit")
def edit(slug: Slug, name: Name) -> None:
    """Turn mutants/NAME.patch back into the folder mutants/NAME/ to edit."""
    folder = _in_pack(patch_to_folder, slug, name)
    console.print(f"[bold]{folder}[/] holds the mutant again; when done: "
                  f"grader exercises mutant save {slug} {name}")


@app.command("save")
def save(slug: Slug, name: Name) -> None:
    """Turn the edited folder mutants/NAME/ into mutants/NAME.patch (and remove it)."""
    patch = _in_pack(folder_to_patch, slug, name)
    console.print(f"saved [bold]{patch}[/]; prove it with: grader exercises check "
                  f"{patch.parent.parent}")
