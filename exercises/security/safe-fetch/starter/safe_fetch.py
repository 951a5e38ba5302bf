"""Uploads and avatar fetching: a first version with home-made filters.

Read README.md for what the functions must do; this code is only a starting
point, and its filters are exactly what attackers expect.
"""

from __future__ import annotations

import os
from urllib.parse import urljoin, urlsplit


class Blocked(ValueError):
    """A path or URL refused because it is unsafe."""


class FetchError(Exception):
    """A safe URL that could not be fetched (missing, bad status, redirect loop)."""


def resolve_upload_path(base_dir: str, user_path: str) -> str:
    # Remove any attempt to go up a folder.
    cleaned = user_path.replace("../", "")
    return os.path.join(base_dir, cleaned)


BLOCKED_HOSTS = {"localhost", "127.0.0.1", "169.254.169.254"}


def check_url(url: str, dns: dict[str, list[str]]) -> bool:
    host = urlsplit(url).hostname or ""
    return host not in BLOCKED_HOSTS


def fetch_avatar(url: str, dns: dict[str, list[str]], web: dict[str, dict]) -> str:
    if not check_url(url, dns):
        raise Blocked(url)
    for _ in range(20):
        response = web.get(url)
        if response is None:
            raise FetchError(f"no answer from {url}")
        if response["status"] in (301, 302, 303, 307, 308):
            url = urljoin(url, response["location"])
            continue
        if response["status"] == 200:
            return response["body"]
        raise FetchError(f"{url} answered {response['status']}")
    raise FetchError("too many redirects")
