"""Running untrusted code: images, one container per grading, the orphan sweep.

The public API is re-exported here. Only the errors and Limits are imported
eagerly; the rest (which pulls in the docker SDK) loads on first use, so that
`import sandbox` stays cheap for code that only needs Limits or the errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sandbox.errors import (
    EngineUnavailable,
    HarnessFailed,
    ImageBuildFailed,
    ImageMissing,
    RuntimeUnavailable,
    SandboxError,
)
from sandbox.limits import Limits

if TYPE_CHECKING:
    from sandbox.cleanup import remove_orphans
    from sandbox.engine import check_runtime, connect
    from sandbox.images import (
        ExerciseImageSpec,
        Progress,
        ensure_base_image,
        ensure_exercise_image,
        ensure_runtime_image,
    )
    from sandbox.runner import run_in_sandbox

_LAZY = {
    "connect": "sandbox.engine",
    "check_runtime": "sandbox.engine",
    "ExerciseImageSpec": "sandbox.images",
    "Progress": "sandbox.images",
    "ensure_base_image": "sandbox.images",
    "ensure_exercise_image": "sandbox.images",
    "ensure_runtime_image": "sandbox.images",
    "run_in_sandbox": "sandbox.runner",
    "remove_orphans": "sandbox.cleanup",
}

__all__ = [
    "EngineUnavailable",
    "ExerciseImageSpec",
    "HarnessFailed",
    "ImageBuildFailed",
    "ImageMissing",
    "Limits",
    "Progress",
    "RuntimeUnavailable",
    "SandboxError",
    "check_runtime",
    "connect",
    "ensure_base_image",
    "ensure_exercise_image",
    "ensure_runtime_image",
    "remove_orphans",
    "run_in_sandbox",
]


def __getattr__(name: str) -> Any:
    # Unknown names raise AttributeError, so `from sandbox import images`
    # still falls back to importing the submodule.
    if name not in _LAZY:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
