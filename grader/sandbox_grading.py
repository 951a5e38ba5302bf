"""Grading one submission: the only place where the domain meets the sandbox.

grade_files() checks the files against the manifest, makes sure the
exercise's image exists, runs the sandbox and returns its Report. A failing
solution is a Report; only infrastructure faults raise (SandboxError).
"""

from __future__ import annotations

import time
from typing import Any

from grader.exercises.pack import ExercisePack
from grader.exercises.submission import check_files
from grader.settings import Settings
from grader_harness.protocol import GradingRequest, HarnessConfig
from grader_harness.report import Report
from sandbox import engine, images, runner
from sandbox.errors import ImageMissing
from sandbox.image_build import Progress
from sandbox.images import ExerciseImageSpec
from sandbox.limits import SandboxLimits
from sandbox.pool import WarmPool

# A worker (a caller with a warm pool) checks an exercise version's image
# this often, not on every grading: the check hashes the harness and asks
# the engine about three images, 10-25 ms. A cold grading still finds a
# missing image itself (container.image_attrs) and then drops the entry.
IMAGE_RECHECK_SECONDS = 30.0
_known_images: dict[tuple[str, str, str, bool], tuple[str, float]] = {}


def exercise_limits(pack: ExercisePack, settings: Settings) -> SandboxLimits:
    """The exercise's own limits, capped by the server's."""
    return pack.manifest.limits.for_sandbox(settings.limit_caps())


def image_spec(pack: ExercisePack) -> ExerciseImageSpec:
    with_reference = pack.manifest.runner.spec.image_with_reference
    return ExerciseImageSpec(
        slug=pack.slug,
        content_hash=pack.content_hash,
        tests=pack.tests,
        public_tests=pack.public_tests if pack.public_tests.is_dir() else None,
        data=pack.data if pack.data.is_dir() else None,
        reference=pack.solution if with_reference else None,
        sql_options=pack.manifest.runner_options() if with_reference else None,
    )


def build_request(
    pack: ExercisePack, files: dict[str, str], limits: SandboxLimits
) -> GradingRequest:
    manifest = pack.manifest
    config = HarnessConfig(
        runner=manifest.runner.value,
        options=manifest.runner_options(),
        hidden_messages=manifest.scoring.hidden_messages,
        output=manifest.scoring.output,
        wall_seconds=limits.wall_seconds,
        output_bytes=limits.output_kb * 1024,
        call_timeout_seconds=limits.call_timeout_seconds,
    )
    return GradingRequest(config=config, files=files)


def ensure_image(
    pack: ExercisePack, settings: Settings, *, client: Any = None, progress: Progress | None = None
) -> str:
    """The exercise's image tag, building what is missing (with progress)."""
    client = client or engine.connect(settings.docker_url)
    return images.ensure_exercise_image(
        client,
        image_spec(pack),
        base_image=settings.base_image,
        offline_base=settings.offline_base,
        progress=progress,
    )


def grade_files(
    *,
    pack: ExercisePack,
    files: dict[str, str],
    settings: Settings,
    client: Any = None,
    progress: Progress | None = None,
    pool: WarmPool | None = None,
    remove_in_background: bool = False,
) -> Report:
    """Grade a submission (path -> text), in a warm sandbox of `pool` when it
    has one (`remove_in_background`: see sandbox.runner.run_in_sandbox).
    Raises SubmissionError for files the manifest refuses, SandboxError for
    infrastructure faults."""
    files = check_files(files, pack.manifest.submission)
    client = client or engine.connect(settings.docker_url)
    known = (pack.slug, pack.content_hash, settings.base_image, settings.offline_base)
    image, checked = _known_images.get(known, ("", 0.0))
    if pool is None or time.monotonic() - checked > IMAGE_RECHECK_SECONDS:
        image = ensure_image(pack, settings, client=client, progress=progress)
        if pool is not None:
            _known_images[known] = (image, time.monotonic())
    limits = exercise_limits(pack, settings)
    try:
        return runner.run_in_sandbox(
            client=client,
            image=image,
            request=build_request(pack, files, limits),
            limits=limits,
            runtime=settings.runtime,
            pool=pool,
            remove_in_background=remove_in_background,
        )
    except ImageMissing:
        _known_images.pop(known, None)  # removed meanwhile: the retry builds it
        raise
