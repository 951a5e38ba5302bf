"""The callback address policy, alone: hostile URLs are refused with the
reason, before anything is resolved or connected (the resolver here is a
table, so no test touches the network)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from grader.services.callback_policy import (
    CallbackPolicy,
    CallbackRefused,
    Unresolvable,
    check,
    parse_allowed,
    policy_from_settings,
)
from grader.settings import Settings

PUBLIC = "93.184.215.14"
DNS = {
    "hooks.example.com": [PUBLIC],
    "rebind.example.com": ["127.0.0.1"],
    "meta.example.com": ["169.254.169.254"],
    "mixed.example.com": [PUBLIC, "10.0.0.5"],
    "v6.example.com": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "lms.campus.example": ["10.20.0.7"],
    "lms-loop.campus.example": ["127.0.0.1"],
}


def resolve(host: str, port: int) -> list[str]:
    try:
        return DNS[host]
    except KeyError:
        raise OSError(f"[Errno -2] Name or service not known: {host}") from None


def refused(url: str, policy: CallbackPolicy | None = None) -> str:
    with pytest.raises(CallbackRefused) as caught:
        check(url, policy=policy or CallbackPolicy(), resolve=resolve)
    return caught.value.message


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:6379/", "loopback"),
    ("http://127.0.0.1/", "loopback"),
    ("http://127.9.9.9:8080/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://169.254.10.1:8080/", "link-local"),
    ("http://10.1.2.3:8080/", "private"),
    ("http://172.16.0.1:8080/", "private"),
    ("http://192.168.1.1:8080/", "private"),
    ("http://100.64.0.1:8080/", "carrier-grade NAT"),
    ("http://0.0.0.0:8080/", "unspecified"),
    ("http://0.1.2.3:8080/", "unspecified"),
    ("http://224.0.0.1:8080/", "multicast"),
    ("http://255.255.255.255:8080/", "broadcast"),
    ("http://192.0.2.1:8080/", "documentation"),
    ("http://[::1]:8080/", "loopback"),
    ("http://[::]:8080/", "unspecified"),
    ("http://[::ffff:127.0.0.1]:8080/", "IPv4-mapped"),
    ("http://[::ffff:7f00:1]:8080/", "IPv4-mapped"),
    ("http://[::127.0.0.1]:8080/", "IPv4-compatible"),
    ("http://[64:ff9b::7f00:1]:8080/", "NAT64"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64"),
    ("http://[2002:7f00:1::]:8080/", "6to4"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("http://[fd00::1]:8080/", "private"),
    ("http://[fc00::1]:8080/", "private"),
    ("http://[fe80::1]:8080/", "link-local"),
    ("http://[fe80::1%25eth0]:8080/", "zone"),
    ("http://[ff02::1]:8080/", "multicast"),
    ("http://2130706433/", "disguised"),
    ("http://2130706433:8080/", "disguised"),
    ("http://0x7f.1/", "disguised"),
    ("http://0x7f000001/", "disguised"),
    ("http://017700000001/", "disguised"),
    ("http://0177.0.0.1/", "disguised"),
    ("http://127.1/", "disguised"),
    ("http://127.0.1/", "disguised"),
    ("http://localhost/", "local name"),
    ("http://localhost.:8080/", "local name"),
    ("http://LOCALHOST:8080/", "local name"),
    ("http://api.localhost:8080/", "local name"),
    ("http://printer.local:8080/", "local name"),
    ("http://metadata.google.internal/", "local name"),
    ("http://redis:6379/", "local name"),
    ("http://postgres:5432/", "local name"),
    ("http://evil@127.0.0.1/", "user name or password"),
    ("http://hooks.example.com@127.0.0.1/", "user name or password"),
    ("http://user:pw@hooks.example.com/", "user name or password"),
    ("http://rebind.example.com:8080/", "resolves to 127.0.0.1, which is loopback"),
    ("http://meta.example.com/", "resolves to 169.254.169.254, which is the cloud metadata"),
    ("http://mixed.example.com/", "resolves to 10.0.0.5, which is private"),
    ("http://mapped.example.com/", "IPv4-mapped"),
    ("http://nowhere.example.com/", "does not resolve"),
    ("http://hooks.example.com:25/", "port 25 belongs to another service"),
    ("http://hooks.example.com:22/", "port 22"),
    ("http://hooks.example.com:0/", "port is not a number"),
    ("http://hooks.example.com:99999/", "port is not a number"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://hooks.example.com/", "only http and https"),
    ("ftp://hooks.example.com/", "only http and https"),
    ("//hooks.example.com/", "only http and https"),
    ("http:///path", "no host"),
    ("http://hooks.example.com /", "spaces"),
    ("http://hooks.example.com\\@127.0.0.1/", "backslashes"),
    ("http://hooks.example.com\n.evil/", "control characters"),
    ("http://exa_mple..com/", "not a valid host name"),
    ("http://" + "a" * 2000 + ".com/", "longer than 2000"),
])
def test_hostile_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    assert reason in refused(url)


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/grader",
    "http://hooks.example.com:8080/x?y=1#frag",
    f"http://{PUBLIC}/hook",
    "https://v6.example.com/",
    "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/",
    "https://HOOKS.Example.COM./",
])
def test_public_targets_are_allowed(url: str) -> None:
    target = check(url, policy=CallbackPolicy(), resolve=resolve)
    assert target.addresses and all(":" in a or a.count(".") == 3 for a in target.addresses)


def test_a_name_that_does_not_resolve_is_unresolvable_not_just_refused() -> None:
    with pytest.raises(Unresolvable):
        check("http://nowhere.example.com/", policy=CallbackPolicy(), resolve=resolve)


def test_the_admin_allow_list_opens_networks_and_names() -> None:
    networks, hosts = parse_allowed("127.0.0.1/32, 10.20.0.0/16 lms.campus.example,"
                                    "lms-loop.campus.example, redis.")
    assert networks == (ip_network("127.0.0.1/32"), ip_network("10.20.0.0/16"))
    policy = CallbackPolicy(networks=networks, hosts=hosts)
    assert check("http://127.0.0.1:9000/", policy=policy, resolve=resolve).port == 9000
    assert check("http://10.20.3.4:8080/", policy=policy, resolve=resolve)
    assert "private" in refused("http://10.21.0.1:8080/", policy)
    # An allowed name may resolve to a private address, never to loopback.
    assert check("https://lms.campus.example/", policy=policy, resolve=resolve)
    assert "loopback" in refused("http://lms-loop.campus.example/", CallbackPolicy(hosts=hosts))
    # A CIDR for IPv4 loopback does not open its IPv6-mapped spelling.
    assert "IPv4-mapped" in refused("http://[::ffff:127.0.0.1]:9000/", policy)


def test_the_services_own_hosts_stay_refused_even_when_allowed() -> None:
    settings = Settings(redis_url="redis://redis:6379/0",
                        database_url="postgresql+psycopg://u:p@db.campus.example/grader",
                        callback_allowed_networks="127.0.0.0/8, redis, db.campus.example")
    policy = policy_from_settings(settings)
    assert "own Redis" in refused("http://redis:6379/", policy)
    assert "own Redis" in refused("http://redis:8080/", policy)
    assert "own database" in refused("http://db.campus.example:5432/", policy)
    assert "own API" in refused(f"http://127.0.0.1:{settings.api_port}/", policy)
    assert check("http://127.0.0.1:9000/", policy=policy, resolve=resolve)


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "not a host!", "http://x.example/"])
def test_a_bad_allow_list_entry_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match="GRADER_CALLBACK_ALLOWED_NETWORKS"):
        Settings(callback_allowed_networks=bad)
