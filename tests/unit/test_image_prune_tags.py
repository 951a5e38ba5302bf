"""Which tags `grader images prune` takes for an earlier build (sandbox/image_prune.py)."""

from __future__ import annotations

from sandbox.image_prune import stale_tags

RUNTIME = "grader-runtime:0123456789abcdef"
RECIPE = "3ce658e9"
BASE = "grader-base:bookworm-1333fe8c347b"


def test_only_other_runtimes_and_exercise_images_of_another_recipe_are_stale() -> None:
    tags = [
        RUNTIME,
        "grader-runtime:fedcba9876543210",  # an earlier harness
        f"grader-ex-books-api:a0e26df4cde7bd7f-{RECIPE}",  # the current build
        f"grader-ex-books-api:0ldc0ntent0000000-{RECIPE}",  # an older version: may be in use
        "grader-ex-books-api:a0e26df4cde7bd7f-2ac995e7",  # an earlier build
        "grader-ex-keyset-pagination:049599cfaabc3327-7df9b7ba",
        BASE,  # the current base
        "grader-base:bookworm-8927dbc35173",  # an offline base of an earlier recipe
        "grader-service:compose-test",  # not a sandbox image
        "postgres:15",
        "python:3.11-slim",
        "grader-ex-x:no-recipe-at-all",  # not a tag we make: its last part is not the recipe
    ]
    assert stale_tags(tags, runtime=RUNTIME, recipe=RECIPE, base=BASE) == [
        "grader-base:bookworm-8927dbc35173",
        "grader-ex-books-api:a0e26df4cde7bd7f-2ac995e7",
        "grader-ex-keyset-pagination:049599cfaabc3327-7df9b7ba",
        "grader-ex-x:no-recipe-at-all",
        "grader-runtime:fedcba9876543210",
    ]


def test_names_that_only_look_alike_are_left_alone() -> None:
    tags = [
        "registry.example:5000/grader-runtime:old",  # another registry's repository
        "registry.example:5000/grader-base:bookworm-8927dbc35173",
        "my-grader-base:old",
        "my-grader-ex-copy:abc-00000000",
        "grader-runtime-extra:abc",
        f"grader-ex-books-api:{RECIPE}",  # one part only: the recipe itself
    ]
    assert stale_tags(tags, runtime=RUNTIME, recipe=RECIPE, base=BASE) == []


def test_a_configured_base_of_our_repository_is_the_current_one() -> None:
    """GRADER_BASE_IMAGE=grader-base:mine: that one stays, the offline ones go."""
    tags = ["grader-base:mine", "grader-base:bookworm-1333fe8c347b", RUNTIME]
    assert stale_tags(tags, runtime=RUNTIME, recipe=RECIPE, base="grader-base:mine") == [
        "grader-base:bookworm-1333fe8c347b"]
