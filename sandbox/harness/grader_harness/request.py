"""Reading the grading request: anything wrong is a BadRequest, answered with
an error report (the host validated it already; this is the second check)."""

from __future__ import annotations

import math
import re

from grader_harness.errors import BadRequest
from grader_harness.protocol import HIDDEN_MESSAGE_POLICIES, GradingRequest, HarnessConfig
from grader_harness.runners import HTTP_APP, PYTHON, SQL

MAX_REQUEST_BYTES = 64 * 1024 * 1024
_IDENT = re.compile(r"[a-z][a-z0-9_]{0,30}")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _positive(config: HarnessConfig, name: str) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"config.{name} must be a number")
    if not math.isfinite(value) or value <= 0:
        raise BadRequest(f"config.{name} must be above 0")


def check_config(config: HarnessConfig) -> None:
    if not isinstance(config.options, dict):
        raise BadRequest("config.options must be an object")
    if config.hidden_messages not in HIDDEN_MESSAGE_POLICIES:
        allowed = ", ".join(HIDDEN_MESSAGE_POLICIES)
        raise BadRequest(f"config.hidden_messages must be one of {allowed}")
    for name in ("wall_seconds", "output_bytes", "call_timeout_seconds"):
        _positive(config, name)
    if config.runner == PYTHON.name:
        module = config.options.get("module")
        if not isinstance(module, str) or not _MODULE.fullmatch(module):
            raise BadRequest("the python runner needs options.module, a dotted module name")
    if config.runner == HTTP_APP.name:
        app = config.options.get("app")
        module, _, attr = app.partition(":") if isinstance(app, str) else ("", "", "")
        if not _MODULE.fullmatch(module) or not _MODULE.fullmatch(attr):
            raise BadRequest("the http-app runner needs options.app, as 'package.module:attribute'")
    if config.runner == SQL.name:
        _check_sql_options(config.options)


def _check_sql_options(options: dict[str, object]) -> None:
    datasets = options.get("datasets", ["main"])
    if not isinstance(datasets, list) or not datasets or not all(
        isinstance(d, str) and _IDENT.fullmatch(d) for d in datasets
    ):
        raise BadRequest("the sql runner's options.datasets must be a list of lowercase names")
    files = options.get("index_files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise BadRequest("the sql runner's options.index_files must be a list of file names")
    limit = options.get("max_indexes", 5)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 50:
        raise BadRequest("the sql runner's options.max_indexes must be an integer from 0 to 50")


def parse_request(raw: bytes) -> GradingRequest:
    if len(raw) > MAX_REQUEST_BYTES:
        raise BadRequest(f"the grading request is over {MAX_REQUEST_BYTES} bytes")
    try:
        request = GradingRequest.from_json(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest(f"the grading request is not valid: {exc}") from None
    check_config(request.config)
    return request
