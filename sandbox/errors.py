"""The sandbox's exceptions: one root, so callers catch SandboxError alone.

Docker's own exceptions never leave this package; they are wrapped in one of
these. A student's failing solution is never an exception: it is a Report.
Every SandboxError is an infrastructure fault (not the student's doing).
"""

from __future__ import annotations


class SandboxError(Exception):
    """Root of every sandbox failure."""


class EngineUnavailable(SandboxError):
    """No Docker engine answers (not installed, not started, no permission)."""


class ImageMissing(SandboxError):
    """An image the grading needs is not there and may not be built here."""


class ImageBuildFailed(SandboxError):
    """Building an image failed; the message carries the build log's tail."""


class RuntimeUnavailable(SandboxError):
    """The configured container runtime (e.g. runsc) is not registered."""


class HarnessFailed(SandboxError):
    """The harness ended without a valid report for a reason not the student's."""
