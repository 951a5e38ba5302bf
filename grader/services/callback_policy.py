"""Where a webhook may go: the address policy of callback URLs.

The worker that delivers webhooks sits next to Redis, the database and the
Docker socket, so a callback URL is a request made from inside the service's
network. By default it may only reach public (globally routable) addresses;
an admin opens private targets with GRADER_CALLBACK_ALLOWED_NETWORKS (CIDRs,
and host names that may then resolve to private, never loopback or
link-local, addresses). The URL is checked when it is submitted and again,
on the addresses actually connected to, at each delivery (webhooks.py).

Pure: the standard library only, and the resolver is passed in.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from grader.services.errors import Invalid

if TYPE_CHECKING:
    from grader.settings import Settings

MAX_URL = 2000
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], list[str]]  # (host, port) -> addresses
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC = re.compile(r"0x[0-9a-f]*|[0-9]+")  # what inet_aton reads as a number
_LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "home.arpa", "lan")


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[Network, str], ...]:
    return tuple((ip_network(net), label) for net, label in pairs)


# Never reached unless an admin names the range as a CIDR. Checked in order:
# the first match names the reason (so the metadata address before link-local).
SPECIAL = _nets(
    ("169.254.169.254/32", "the cloud metadata service (link-local)"),
    ("0.0.0.0/8", "the unspecified 'this host' range"), ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"), ("192.0.0.0/24", "reserved for IETF protocols"),
    ("192.0.2.0/24", "reserved for documentation"),
    ("198.51.100.0/24", "reserved for documentation"),
    ("203.0.113.0/24", "reserved for documentation"), ("198.18.0.0/15", "reserved for benchmarks"),
    ("192.88.99.0/24", "the 6to4 relay anycast range"), ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (or broadcast)"),
    ("::/128", "the unspecified address"), ("::1/128", "loopback"),
    ("::ffff:0:0/96", "an IPv4-mapped IPv6 address"), ("::/96", "an IPv4-compatible IPv6 address"),
    ("64:ff9b::/96", "NAT64 (an IPv4 address in IPv6)"), ("64:ff9b:1::/48", "local NAT64"),
    ("100::/64", "the discard-only range"), ("2001::/32", "Teredo (an IPv4 tunnel)"),
    ("2001:db8::/32", "reserved for documentation"), ("2001::/23", "reserved for IETF protocols"),
    ("2002::/16", "6to4 (an IPv4 tunnel)"), ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"), ("ff00::/8", "multicast"),
)
# Private ranges: reachable through a CIDR, or a host name the admin allowed.
PRIVATE = _nets(
    ("10.0.0.0/8", "private"), ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"), ("fc00::/7", "private (unique local)"),
)


class CallbackRefused(Invalid):
    """The callback URL may not be used; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"callback_url refused: {reason}")
        self.reason = reason


class Unresolvable(CallbackRefused):
    """The host name did not resolve (at delivery: maybe for now only)."""


@dataclass(frozen=True)
class CallbackPolicy:
    networks: tuple[Network, ...] = ()  # allowed CIDRs, whatever they hold
    hosts: frozenset[str] = frozenset()  # allowed names (exact), to private addresses too
    own: tuple[tuple[str, int, str], ...] = ()  # this service's (host, port, what)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, no trailing dot, IPv6 without brackets
    port: int
    addresses: tuple[str, ...]  # resolved once, every one allowed


def parse_allowed(text: str) -> tuple[tuple[Network, ...], frozenset[str]]:
    """GRADER_CALLBACK_ALLOWED_NETWORKS: comma- or space-separated CIDRs and host names."""
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        name = entry.lower().rstrip(".")
        if not all(_LABEL.fullmatch(label) for label in name.split(".")):
            raise ValueError(f"GRADER_CALLBACK_ALLOWED_NETWORKS: {entry!r} is neither a CIDR "
                             "network (10.0.0.0/8, fd00::/8) nor a host name")
        hosts.add(name)
    return tuple(networks), frozenset(hosts)


def policy_from_settings(settings: Settings) -> CallbackPolicy:
    """The allow-list, and the service's own endpoints (refused even when allowed)."""
    networks, hosts = parse_allowed(settings.callback_allowed_networks)
    own = [(settings.api_host.lower(), settings.api_port, "API")]
    for url, default, what in ((settings.redis_url or "redis://127.0.0.1:6379", 6379, "Redis"),
                               (settings.database_url or "", 5432, "database"),
                               (settings.docker_url or "", 2375, "Docker engine")):
        parts = urlsplit(url)
        if parts.hostname:
            own.append((parts.hostname.lower().rstrip("."), parts.port or default, what))
    return CallbackPolicy(networks=networks, hosts=hosts, own=tuple(own))


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL written plainly, or CallbackRefused."""
    if len(url) > MAX_URL:
        raise CallbackRefused(f"the URL is longer than {MAX_URL} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise CallbackRefused("the URL holds spaces, control characters or backslashes")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CallbackRefused("only http and https URLs can be called")
    if "@" in parts.netloc:
        raise CallbackRefused("the URL must not carry a user name or password (user@host)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise CallbackRefused("the URL has no host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not 0 < port < 65536:
        raise CallbackRefused("the port is not a number from 1 to 65535")
    if port < 1024 and port not in (80, 443):
        raise CallbackRefused(f"port {port} belongs to another service; use 80, 443 or 1024+")
    if "%" in host:
        raise CallbackRefused("IPv6 zone ids (%) are not allowed")
    try:
        return parts.scheme, str(ip_address(host)), port
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise CallbackRefused(f"{host!r} is not a valid host name") from None
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise CallbackRefused(f"{host!r} is not a valid host name")
    if _NUMERIC.fullmatch(labels[-1]):
        raise CallbackRefused(f"{host!r} is an IP address in a disguised form; write IPv4 "
                              "as four decimal numbers (1.2.3.4) and IPv6 in brackets")
    return parts.scheme, host, port


def address_problem(address: str, policy: CallbackPolicy, *, named: bool = False) -> str | None:
    """Why an address may not be called, or None. `named`: reached through an
    allowed host name, which opens the private ranges."""
    try:
        ip: IPv4Address | IPv6Address = ip_address(address)
    except ValueError:
        return "not an IP address"
    if any(ip.version == net.version and ip in net for net in policy.networks):
        return None
    for net, label in SPECIAL + (() if named else PRIVATE):
        if ip.version == net.version and ip in net:
            return label
    if named and any(ip.version == net.version and ip in net for net, _ in PRIVATE):
        return None
    return None if ip.is_global else "not a public address"


def check(url: str, *, policy: CallbackPolicy, resolve: Resolver | None = None) -> Target:
    """The URL's target, resolved once, every address allowed; else CallbackRefused.
    `resolve` defaults to system_resolver, looked up at each call (tests replace it)."""
    scheme, host, port = parse(url)
    literal = _is_ip(host)
    for own_host, own_port, what in policy.own:
        if host == own_host and (port == own_port or not literal):
            raise CallbackRefused(f"{host}:{port} is this service's own {what}")
    named = host in policy.hosts
    if not literal and not named:
        if "." not in host:
            raise CallbackRefused(f"{host!r} is a local name (no domain); a webhook must go "
                                  "to a public host")
        if host.endswith(_LOCAL_SUFFIXES):
            raise CallbackRefused(f"{host!r} is a local name; a webhook must go to a public host")
    if literal:
        addresses = [host]
    else:
        try:
            addresses = (resolve or system_resolver)(host, port)
        except (OSError, UnicodeError) as exc:
            raise Unresolvable(f"{host!r} does not resolve ({exc})") from None
        if not addresses:
            raise Unresolvable(f"{host!r} does not resolve")
    for address in addresses:
        problem = address_problem(address, policy, named=named)
        if problem is not None:
            where = address if address == host else f"{host!r} resolves to {address}, which"
            raise CallbackRefused(f"{where} is {problem}; only public addresses can be "
                                  "called unless an admin allows this network")
    return Target(scheme=scheme, host=host, port=port, addresses=tuple(addresses))


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
        return True
    except ValueError:
        return False
