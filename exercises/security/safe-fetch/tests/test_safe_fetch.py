"""Hidden tests for safe-fetch.

The student's module runs in another process as another user. Upload tests
build a small folder tree (with symlinks) under /tmp, readable by everyone,
and compare resolved paths on this side. Name resolution and the web are the
tables from data/cases.json, passed into every call: no network is used.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import grader_harness


@pytest.fixture(scope="module")
def cases(data_dir) -> dict:
    return json.loads((data_dir / "cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def uploads():
    """root/avatars (the base) with sub/, and symlinks pointing in and out of it."""
    root = Path(tempfile.mkdtemp(prefix="safe-fetch-")).resolve()
    base = root / "avatars"
    (base / "sub").mkdir(parents=True)
    (root / "avatars_old").mkdir()
    (root / "avatars_old" / "secret.png").write_text("old secret")
    os.symlink("/etc", base / "etc_link")
    os.symlink(root / "avatars_old", base / "old_link")
    os.symlink(base / "sub", base / "inside_link")
    for folder in (root, base, base / "sub", root / "avatars_old"):
        os.chmod(folder, 0o755)  # the student's user must be able to resolve paths here
    yield base
    shutil.rmtree(root, ignore_errors=True)


# Messages may show this test's own inputs (a path, a URL) but never what the
# student's code returned or raised: it got those inputs and could echo them.
EXCEPTIONS = ("Blocked", "FetchError")


def named(kind: str) -> str:
    """An exception type the student's code raised, named only if it is one the
    README defines or one Python defines (the student names their own classes)."""
    known = kind in EXCEPTIONS or isinstance(getattr(builtins, kind, None), type)
    return kind if known else "an exception other than Blocked, FetchError or a built-in one"


def described(kind: str, body: str = "a body") -> str:
    """What fetch_avatar did, without its body or its exception's text."""
    return f"it returned {body}" if kind == "ok" else f"it raised {named(kind)}"


def resolve(student, base: Path, user_path: str) -> str | None:
    """The student's answer: a path, or None when it raised Blocked."""
    try:
        result = student.resolve_upload_path(str(base), user_path)
    except grader_harness.StudentError as exc:
        if exc.type == "Blocked":
            return None
        raise grader_harness.Feedback(
            f"resolve_upload_path(base, {user_path!r}) raised {named(exc.type)}; "
            "it must return a path or raise Blocked"
        ) from None
    assert isinstance(result, str), (
        f"resolve_upload_path(base, {user_path!r}) must return a str, not {type(result).__name__}"
    )
    return result


def strictly_inside(base: Path, path: str) -> bool:
    real_base, real = os.path.realpath(base), os.path.realpath(path)
    return real != real_base and os.path.commonpath([real_base, real]) == real_base


def allowed(student, url: str, dns: dict) -> bool:
    try:
        result = student.check_url(url, dns)
    except grader_harness.StudentError as exc:
        raise grader_harness.Feedback(
            f"check_url({url!r}) raised {named(exc.type)}; it must return True or False"
        ) from None
    assert isinstance(result, bool), f"check_url({url!r}) must return a bool"
    return result


def assert_all_refused(student, urls: list[str], dns: dict, why: str) -> None:
    for url in urls:
        assert allowed(student, url, dns) is False, f"check_url({url!r}) must be False: {why}"


def fetch(student, url: str, dns: dict, web: dict) -> tuple[str, str]:
    """('ok', body) or (exception type, message)."""
    try:
        return "ok", student.fetch_avatar(url, dns, web)
    except grader_harness.StudentError as exc:
        return exc.type, exc.message


# --- uploads -----------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.hint(
    "Ordinary names must keep working: percent-decode once, and names that merely contain dots "
    "(a..b.png, ..hidden) are fine."
)
def test_legit_upload_paths_resolve(student, uploads, cases):
    for user_path, expected in cases["upload_ok"]:
        result = resolve(student, uploads, user_path)
        assert result is not None, (
            f"{user_path!r} is a legitimate upload path and must not be Blocked"
        )
        assert os.path.realpath(result) == os.path.realpath(uploads / expected), (
            f"resolve_upload_path(base, {user_path!r}) must be base/{expected}"
        )


@pytest.mark.points(2)
@pytest.mark.hint("Refuse any path that climbs out of the upload folder with '..'.")
def test_traversal_is_blocked(student, uploads, cases):
    for user_path in cases["traversal"]:
        assert resolve(student, uploads, user_path) is None, (
            f"resolve_upload_path(base, {user_path!r}) must raise Blocked"
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Decode first, then check: %2e%2e is '..', %2f is '/'. Refuse absolute paths, backslashes, "
    "NUL characters, and paths that name nothing inside the folder."
)
def test_encoded_and_absolute_paths_are_blocked(student, uploads, cases):
    for user_path in cases["encoded_or_absolute"]:
        assert resolve(student, uploads, user_path) is None, (
            f"resolve_upload_path(base, {user_path!r}) must raise Blocked"
        )


@pytest.mark.points(1)
@pytest.mark.hint(
    "A symlink inside the folder can point outside it: resolve the final path "
    "(os.path.realpath) and check that it is still inside the resolved base folder."
)
def test_symlinks_cannot_escape(student, uploads):
    for user_path in ("etc_link/passwd", "old_link/secret.png"):
        assert resolve(student, uploads, user_path) is None, (
            f"{user_path!r} goes through a symlink that points outside the upload folder: "
            "it must raise Blocked"
        )
    inside = resolve(student, uploads, "inside_link/x.png")
    assert inside is not None and os.path.realpath(inside) == os.path.realpath(
        uploads / "sub" / "x.png"
    ), (
        "a symlink that stays inside the upload folder is fine: "
        "'inside_link/x.png' is base/sub/x.png"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Filters that delete '../' can be tricked ('....//' becomes '../'); check the resolved "
    "result, and compare folders, not string prefixes."
)
def test_upload_paths_never_escape(student, uploads, cases):
    for user_path in cases["never_escape"]:
        result = resolve(student, uploads, user_path)
        assert result is None or strictly_inside(uploads, result), (
            f"resolve_upload_path(base, {user_path!r}) returned a path outside the upload "
            "folder"
        )


# --- URLs ----------------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.hint(
    "Don't over-block: public http(s) URLs must pass, whatever their port, case, path or "
    "query, and whatever their name looks like (localhost.example.com is just a name)."
)
def test_public_urls_are_allowed(student, cases):
    for url in cases["public_urls"]:
        assert allowed(student, url, cases["dns"]) is True, (
            f"check_url({url!r}) must be True: it is a public address"
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Loopback has many spellings (127.0.0.2, [::1], [::ffff:127.0.0.1], 2130706433, 0x7f000001, "
    "127.1, 0.0.0.0). Parse the host with the ipaddress module instead of comparing strings."
)
def test_loopback_spellings_are_blocked(student, cases):
    assert_all_refused(student, cases["loopback_urls"], cases["dns"],
                       "it reaches this machine itself")


@pytest.mark.points(2)
@pytest.mark.hint(
    "Allow only globally routable unicast addresses: private ranges, link-local (the cloud "
    "metadata service 169.254.169.254), shared, reserved and multicast addresses are refused."
)
def test_private_and_metadata_addresses_are_blocked(student, cases):
    assert_all_refused(student, cases["internal_urls"], cases["dns"],
                       "it is not a public address")


@pytest.mark.points(1)
@pytest.mark.hint(
    "Check every address a name resolves to (in the dns table you are given); a name that does "
    "not resolve is refused."
)
def test_names_resolving_to_internal_addresses_are_blocked(student, cases):
    assert_all_refused(student, cases["resolving_to_internal"], cases["dns"],
                       "the name does not resolve, or resolves to an address that is not public")


@pytest.mark.points(1)
@pytest.mark.hint(
    "Only http and https URLs with a host (and a valid port, no user@) are fetched: file:, "
    "gopher:, ftp: and friends are refused."
)
def test_other_schemes_and_malformed_urls_are_blocked(student, cases):
    assert_all_refused(student, cases["bad_schemes"], cases["dns"],
                       "only http(s) URLs with a host and a valid port are allowed")


# --- fetching ------------------------------------------------------------------


@pytest.mark.points(1)
@pytest.mark.hint(
    "Follow redirects (301, 302, 303, 307, 308) yourself, resolving a relative Location with "
    "urljoin, and return the final body."
)
def test_fetch_follows_safe_redirects(student, cases):
    web = {
        "https://example.com/u/7/avatar": {"status": 302,
                                           "location": "https://img.example.com/a/7.png"},
        "https://img.example.com/a/7.png": {"status": 301, "location": "/a/7-v2.png"},
        "https://img.example.com/a/7-v2.png": {"status": 200, "body": "PNG-7"},
    }
    outcome = fetch(student, "https://example.com/u/7/avatar", cases["dns"], web)
    assert outcome == ("ok", "PNG-7"), (
        "fetching a URL that redirects twice (once relatively) must return the final body "
        f"'PNG-7'; {described(outcome[0], 'another body')}"
    )
    direct = fetch(student, "https://img.example.com/a/7-v2.png", cases["dns"], web)
    assert direct == ("ok", "PNG-7"), (
        f"fetching a safe URL must return its body 'PNG-7'; {described(direct[0], 'another body')}"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "A safe URL can redirect to an unsafe one: check every URL in the chain, not just the first."
)
def test_redirect_to_internal_is_blocked(student, cases):
    secret = {"status": 200, "body": "SECRET-CREDENTIALS"}
    for target in ("http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                   "http://localhost/admin",
                   "//127.0.0.1/admin",
                   "http://[::ffff:10.0.0.1]/",
                   "file:///etc/passwd",
                   "http://intranet.example.com/"):
        absolute = "http:" + target if target.startswith("//") else target
        web = {
            "https://example.com/me.png": {"status": 302, "location": "https://img.example.com/r"},
            "https://img.example.com/r": {"status": 307, "location": target},
            absolute: secret,
        }
        kind, detail = fetch(student, "https://example.com/me.png", cases["dns"], web)
        assert not (kind == "ok" and "SECRET" in str(detail)), (
            f"a redirect to {target!r} was followed and the internal answer was returned"
        )
        assert kind == "Blocked", (
            f"a redirect chain ending at {target!r} must raise Blocked; {described(kind)}"
        )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Unsafe URLs raise Blocked; a missing page, another status or more than 5 redirects raise "
    "FetchError."
)
def test_fetch_errors(student, cases):
    dns = cases["dns"]
    web = {
        "https://example.com/gone.png": {"status": 404},
        "https://example.com/loop/a": {"status": 302, "location": "/loop/b"},
        "https://example.com/loop/b": {"status": 302, "location": "/loop/a"},
        "http://127.0.0.1/": {"status": 200, "body": "SECRET"},
        "https://example.com/r0": {"status": 302, "location": "/r1"},
        "https://example.com/r1": {"status": 302, "location": "/r2"},
        "https://example.com/r2": {"status": 302, "location": "/r3"},
        "https://example.com/r3": {"status": 302, "location": "/r4"},
        "https://example.com/r4": {"status": 302, "location": "/r5"},
        "https://example.com/r5": {"status": 200, "body": "after five redirects"},
    }
    expectations = [
        ("http://127.0.0.1/", "Blocked", "an unsafe URL"),
        ("https://example.com/missing.png", "FetchError", "a URL with no answer in web"),
        ("https://example.com/gone.png", "FetchError", "a 404"),
        ("https://example.com/loop/a", "FetchError", "a redirect loop"),
    ]
    for url, wanted, what in expectations:
        kind, _ = fetch(student, url, dns, web)
        assert kind == wanted, (
            f"fetch_avatar on {what} ({url}) must raise {wanted}; {described(kind)}"
        )
    five = fetch(student, "https://example.com/r0", dns, web)
    assert five == ("ok", "after five redirects"), (
        f"exactly 5 redirects are still followed; {described(five[0], 'another body')}"
    )
