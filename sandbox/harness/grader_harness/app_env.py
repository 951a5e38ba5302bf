"""The `[http_app] env` rules: variables the author sets for the student's app.

One rule set for both sides: the host's manifest check (grader/exercises)
and the harness, which checks again before it starts anything. Refused are
the names the harness, Python or uvicorn depend on: a student process must
start the same way, from the same places, whatever the exercise says.
"""

from __future__ import annotations

import re
from typing import Any

NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
MAX_ENTRIES = 32
MAX_VALUE_CHARS = 1000
REFUSED_NAMES = ("PATH", "HOME")
REFUSED_PREFIXES = ("PYTHON", "LD_", "GRADER_", "UVICORN_")


def _quoted(name: str) -> str:
    return repr(name[:40] + ("..." if len(name) > 40 else ""))


def refusal(name: str) -> str | None:
    """Why `name` may not be set, or None."""
    if not NAME_RE.fullmatch(name):
        return (f"name {_quoted(name)} is not allowed: 1-64 characters of A-Z, 0-9 and _, "
                "not starting with a digit")
    if name in REFUSED_NAMES or name.startswith(REFUSED_PREFIXES):
        return (f"name {name!r} is reserved (PATH, HOME, PYTHON*, LD_*, GRADER_* and "
                "UVICORN_* are the harness's)")
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_env(value: Any) -> dict[str, str]:
    """The env table as given, or ValueError naming the first thing wrong with it."""
    if not isinstance(value, dict):
        raise ValueError("must be a table of NAME = \"value\"")
    if len(value) > MAX_ENTRIES:
        raise ValueError(f"has {len(value)} entries; at most {MAX_ENTRIES} are allowed")
    for name, text in value.items():
        if not isinstance(name, str):
            raise ValueError("names must be strings")
        reason = refusal(name)
        if reason:
            raise ValueError(reason)
        if not isinstance(text, str):
            raise ValueError(f"{name}: the value must be a string")
        if len(text) > MAX_VALUE_CHARS:
            raise ValueError(f"{name}: the value has {len(text)} characters; "
                             f"at most {MAX_VALUE_CHARS} are allowed")
        if "\x00" in text or _has_surrogate(text):
            raise ValueError(f"{name}: the value must not contain a NUL character "
                             "or a lone surrogate")
    return dict(value)
