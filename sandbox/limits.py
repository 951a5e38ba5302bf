"""Resource limits of one grading, and capping them by the server's maximum."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 30.0
    memory_mb: int = 512
    cpus: float = 1.0
    processes: int = 256
    output_kb: int = 1024
    call_timeout_seconds: float = 10.0

    def capped(self, caps: SandboxLimits) -> SandboxLimits:
        """Each limit, but never above the server's cap for it."""
        return SandboxLimits(
            **{f.name: min(getattr(self, f.name), getattr(caps, f.name)) for f in fields(self)}
        )


DEFAULT_CAPS = SandboxLimits()
