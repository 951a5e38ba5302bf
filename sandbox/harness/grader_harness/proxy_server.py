"""The student's side of the python runner. Runs AS THE STUDENT.

    python -P -m grader_harness.proxy_server MODULE IN_FD OUT_FD [CLOCK_FD]

Imports the student's MODULE from the workspace (the cwd), answers
{"ok": "ready"} or the import error on OUT_FD, then serves one call per
request read from IN_FD until end of file. The student's prints go to
stdout/stderr (the harness's metered pipes), never to the protocol pipes.

Everything this process says is untrusted by the harness: the student's code
runs in it and can write anything to OUT_FD. That only lets the student lie
about its own function results, which the harness never takes as a verdict.
CLOCK_FD: the `clock` fixture's offset, read-only (clock_shim.py), installed
before the student's module is imported.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType
from typing import Any

# Imported before the workspace joins sys.path, so a student's json.py or
# struct.py cannot replace the protocol's modules.
from grader_harness import clock_shim, wire


def _relative(text: str, workspace: str) -> str:
    return text.replace(workspace + os.sep, "")


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # a student's __str__ may raise anything
        return "<the exception's text could not be read>"


def describe(exc: BaseException, workspace: str) -> dict[str, str]:
    """The exception as the student should see it: their frames only."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = []
    for frame in frames:
        if frame.filename.startswith(workspace + os.sep):
            _ = frame.line  # read the source line while the path still resolves
            frame.filename = _relative(frame.filename, workspace)
            mine.append(frame)
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(mine)] if mine else []
    try:
        lines += traceback.format_exception_only(type(exc), exc)
    except BaseException:
        lines.append(f"{type(exc).__name__}: {_text(exc)}\n")
    return {
        "type": type(exc).__name__,
        "message": _relative(_text(exc), workspace),
        "traceback": _relative("".join(lines), workspace),
    }


def handle(module: ModuleType, request: dict[str, Any], workspace: str) -> bytes:
    name = request.get("fn")
    args = request.get("args", [])
    kwargs = request.get("kwargs", {})
    try:
        if not isinstance(name, str) or name.startswith("__"):
            raise AttributeError(f"{name!r} is not a function name")
        function = getattr(module, name)
        if not callable(function):
            raise TypeError(f"{name} is not a function")
        result = function(*args, **kwargs)
    except BaseException as exc:  # SystemExit too: whatever the student's code does
        return wire.encode({"error": describe(exc, workspace)})
    try:
        return wire.encode({"ok": result})
    except (TypeError, ValueError, RecursionError) as exc:
        message = f"the value returned by {name}() cannot be sent back as JSON: {exc}"
        return wire.encode({"error": {"type": "TypeError", "message": message, "traceback": ""}})


def main(argv: list[str]) -> int:
    module_name, in_fd, out_fd = argv[0], int(argv[1]), int(argv[2])
    if len(argv) > 3:
        clock_shim.install(int(argv[3]))
    workspace = os.getcwd()
    sys.path.insert(0, workspace)
    os.environ["PYTHONPATH"] = workspace  # for processes the student's code starts
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        wire.write_all(out_fd, wire.encode({"error": describe(exc, workspace)}))
        return 1
    wire.write_all(out_fd, wire.encode({"ok": "ready"}))
    while (request := wire.receive(in_fd)) is not None:
        wire.write_all(out_fd, handle(module, request, workspace))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
