"""Reference solution for safe-fetch: path traversal and SSRF decisions.

Paths: decode once, refuse what can never be a plain relative file name
(NUL, backslash, absolute, any '..' segment), then resolve symlinks and
require the result to lie strictly inside the resolved base folder.

URLs: only http(s) with a host and no userinfo; the host is either an IP
literal or a name looked up in the given `dns` table (never anything else),
and every address must be a globally routable unicast address. Redirects
are followed by hand, each hop checked again.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import unquote, urljoin, urlsplit


class Blocked(ValueError):
    """A path or URL refused because it is unsafe."""


class FetchError(Exception):
    """A safe URL that could not be fetched (missing, bad status, redirect loop)."""


ALLOWED_SCHEMES = {"http", "https"}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- uploads -----------------------------------------------------------------


def resolve_upload_path(base_dir: str, user_path: str) -> str:
    path = unquote(user_path)  # exactly once: "%252e" stays the literal name "%2e"
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise Blocked(f"refusing the upload path {user_path!r}")
    if ".." in path.split("/"):
        raise Blocked(f"refusing the upload path {user_path!r}: it climbs out with '..'")
    base = os.path.realpath(base_dir)
    target = os.path.realpath(os.path.join(base, path))  # follows symlinks
    if target == base or os.path.commonpath([base, target]) != base:
        raise Blocked(f"refusing the upload path {user_path!r}: it leaves the upload folder")
    return target


# --- URLs ----------------------------------------------------------------------


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast


def addresses_of(host: str, dns: dict[str, list[str]]) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]  # an IP literal: no lookup
    except ValueError:
        pass
    # Anything else is a name; the resolver is the table we were given. Names
    # it does not know (including odd numeric forms like 0x7f000001) fail closed.
    answers = dns.get(host.rstrip(".").lower()) or []
    return [ipaddress.ip_address(a) for a in answers[:1]]


def check_url(url: str, dns: dict[str, list[str]]) -> bool:
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return False
        if "@" in parts.netloc:
            return False  # userinfo only serves to confuse parsers
        host = parts.hostname
        if not host:
            return False
        _ = parts.port  # ValueError for a port that is not 0-65535
        found = addresses_of(host, dns)
    except ValueError:
        return False
    return bool(found) and all(is_public(a) for a in found)


# --- fetching ------------------------------------------------------------------


def fetch_avatar(url: str, dns: dict[str, list[str]], web: dict[str, dict]) -> str:
    for _ in range(MAX_REDIRECTS + 1):
        if not check_url(url, dns):
            raise Blocked(f"refusing to fetch {url!r}")
        response = web.get(url)
        if response is None:
            raise FetchError(f"no answer from {url}")
        status = response.get("status")
        if status == 200:
            return response.get("body", "")
        if status in REDIRECT_STATUSES:
            location = response.get("location")
            if not location:
                raise FetchError(f"{url} redirected without a Location")
            url = urljoin(url, location)
            continue
        raise FetchError(f"{url} answered {status}")
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
