"""Which tags `grader images prune` takes for an earlier build (sandbox/image_prune.py)."""

from __future__ import annotations

from sandbox.image_prune import stale_tags

RUNTIME = "grader-runtime:0123456789abcdef"
RECIPE = "3ce658e9"


def test_only_other_runtimes_and_exercise_images_of_another_recipe_are_stale() -> None:
    tags = [
        RUNTIME,
        "grader-runtime:fedcba9876543210",  # an earlier harness
        f"grader-ex-books-api:a0e26df4cde7bd7f-{RECIPE}",  # the current build
        f"grader-ex-books-api:0ldc0ntent0000000-{RECIPE}",  # an older version: may be in use
        "grader-ex-books-api:a0e26df4cde7bd7f-2ac995e7",  # an earlier build
        "grader-ex-keyset-pagination:049599cfaabc3327-7df9b7ba",
        "grader-base:bookworm-8927dbc35173",  # the base: left alone
        "grader-service:compose-test",  # not a sandbox image
        "postgres:15",
        "python:3.11-slim",
        "grader-ex-x:no-recipe-at-all",  # not a tag we make: its last part is not the recipe
    ]
    assert stale_tags(tags, runtime=RUNTIME, recipe=RECIPE) == [
        "grader-ex-books-api:a0e26df4cde7bd7f-2ac995e7",
        "grader-ex-keyset-pagination:049599cfaabc3327-7df9b7ba",
        "grader-ex-x:no-recipe-at-all",
        "grader-runtime:fedcba9876543210",
    ]


def test_names_that_only_look_alike_are_left_alone() -> None:
    tags = [
        "registry.example:5000/grader-runtime:old",  # another registry's repository
        "my-grader-ex-copy:abc-00000000",
        "grader-runtime-extra:abc",
        f"grader-ex-books-api:{RECIPE}",  # one part only: the recipe itself
    ]
    assert stale_tags(tags, runtime=RUNTIME, recipe=RECIPE) == []
