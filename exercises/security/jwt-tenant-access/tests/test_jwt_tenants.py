"""Hidden tests for jwt-tenant-access.

Every test uses its own tenants (unique names), so the shared app state never
matters. A rejected token must get 401 and must not reach any note.
"""

from __future__ import annotations

import time
import uuid

import pytest


def media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def create_note(client, token: str, title: str | None = None, **extra) -> dict:
    body = {"title": title or f"note {uuid.uuid4().hex[:8]}", "body": "secret plans", **extra}
    response = client.post("/notes", json=body, headers=bearer(token))
    assert response.status_code == 201, (
        f"POST /notes with a valid token: expected 201, got {response.status_code}"
    )
    return response.json()


def assert_rejected(client, token: str, what: str) -> None:
    response = client.get("/notes", headers=bearer(token))
    assert response.status_code != 500, f"{what}: the server crashed (500) instead of answering 401"
    assert response.status_code == 401, f"{what}: expected 401, got {response.status_code}"


def assert_accepted(client, token: str, what: str, scheme: str = "Bearer") -> None:
    response = client.get("/notes", headers=bearer(token, scheme))
    assert response.status_code == 200, (
        f"{what} is a valid token and must be accepted: expected 200, got {response.status_code}"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Valid tokens must keep working: verify them, then take tenant and author from the claims."
)
def test_valid_token_works(client, tokens):
    tenant = tokens.new_tenant()
    token = tokens.token(tenant, subject="user-ada")
    note = create_note(client, token, title="Lesson plan")
    assert note.get("tenant") == tenant, "a new note belongs to the tenant named in the token"
    assert note.get("author") == "user-ada", "a new note's author is the token's subject (sub)"
    fetched = client.get(f"/notes/{note['id']}", headers=bearer(token))
    assert fetched.status_code == 200 and fetched.json() == note, (
        "GET /notes/{id} with the same tenant's token must return the note"
    )
    listed = client.get("/notes", headers=bearer(tokens.token(tenant)))
    assert listed.status_code == 200 and note in listed.json().get("items", []), (
        "GET /notes must list the tenant's notes, for any user of that tenant"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Don't over-block: 'aud' may be a list that contains notes-api, tokens carry extra claims "
    "and headers, and the scheme name 'bearer' is case-insensitive."
)
def test_token_variants_are_accepted(client, tokens):
    tenant = tokens.new_tenant()
    now = int(time.time())
    variants = [
        ("a token whose aud is a list containing notes-api",
         tokens.token(tenant, aud=["gradebook", "notes-api"])),
        ("a token with nbf in the past", tokens.token(tenant, nbf=now - 60)),
        ("a token with extra claims", tokens.token(tenant, scope="notes:read", name="Ada")),
        ("a token with a kid header",
         tokens.sign(tokens.claims(tenant), headers={"kid": "idp-2024"})),
    ]
    for what, token in variants:
        assert_accepted(client, token, what)
    assert_accepted(client, tokens.token(tenant), "'Authorization: bearer <token>' (lower case)",
                    scheme="bearer")


@pytest.mark.points(1)
@pytest.mark.hint(
    "No usable bearer token: 401 with 'WWW-Authenticate: Bearer' and a problem+json body."
)
def test_missing_or_malformed_authorization_is_401(client, tokens):
    good = tokens.token(tokens.new_tenant())
    cases = [
        ("no Authorization header", {}),
        ("Basic credentials", {"Authorization": "Basic dXNlcjpwYXNz"}),
        ("the token without 'Bearer '", {"Authorization": good}),
        ("'Bearer' with no token", {"Authorization": "Bearer"}),
        ("a token that is not a JWT", {"Authorization": "Bearer not-a-jwt"}),
        ("a JWT with garbage segments", {"Authorization": "Bearer a.b.c"}),
        ("a JWT with 4 segments", {"Authorization": f"Bearer {good}.xyz"}),
    ]
    for what, headers in cases:
        response = client.get("/notes", headers=headers)
        assert response.status_code == 401, (
            f"GET /notes with {what}: expected 401, got {response.status_code}"
        )
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), (
            f"GET /notes with {what}: a 401 needs the header 'WWW-Authenticate: Bearer'"
        )
        assert media_type(response) == "application/problem+json", (
            f"GET /notes with {what}: a 401 is a problem+json document"
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Never let the token choose how it is checked: only RS256 is accepted; 'alg: none' means "
    "no signature at all."
)
def test_alg_none_is_rejected(client, tokens):
    claims = tokens.claims(tokens.new_tenant())
    for alg in ("none", "None", "NONE", "nOnE"):
        assert_rejected(client, tokens.unsigned(claims, alg), f"an unsigned token (alg {alg!r})")
    signed = tokens.sign(claims)
    assert_rejected(client, tokens.unsigned(claims, "none", signed.split(".")[2]),
                    "an alg 'none' token carrying a copied signature")


@pytest.mark.points(2)
@pytest.mark.hint(
    "Verify the signature with the IdP's public key; a token signed by any other key, or "
    "changed after signing, is invalid."
)
def test_bad_signature_is_rejected(client, tokens):
    victim = tokens.new_tenant()
    claims = tokens.claims(tokens.new_tenant())
    assert_rejected(client, tokens.by_attacker(claims), "a token signed with another RSA key")
    tampered = tokens.tampered(tokens.sign(claims), {**claims, "tenant": victim})
    assert_rejected(client, tampered, "a token whose claims were changed after signing")
    truncated = tokens.token(victim)[:-6]
    assert_rejected(client, truncated, "a token with a truncated signature")


@pytest.mark.points(2)
@pytest.mark.hint(
    "Algorithm confusion: an attacker signs HS256 using your public key as the HMAC secret. "
    "Fix the accepted algorithms to RS256 instead of trusting the header."
)
def test_algorithm_confusion_is_rejected(client, tokens):
    claims = tokens.claims(tokens.new_tenant())
    pem = tokens.public_pem
    for alg in ("HS256", "HS384", "HS512"):
        for what, key in (("the PEM text", pem), ("the PEM without its final newline",
                                                   pem.rstrip("\n"))):
            forged = tokens.hmac_signed(claims, key.encode("ascii"), alg)
            assert_rejected(client, forged, f"an {alg} token keyed with {what} of the public key")


@pytest.mark.points(1)
@pytest.mark.hint("Check exp (and nbf when present): an expired or not-yet-valid token is invalid.")
def test_expired_or_not_yet_valid_token_is_rejected(client, tokens):
    tenant = tokens.new_tenant()
    now = int(time.time())
    assert_rejected(client, tokens.token(tenant, iat=now - 7200, exp=now - 3600),
                    "a token that expired an hour ago")
    assert_rejected(client, tokens.token(tenant, nbf=now + 3600),
                    "a token that is valid only from an hour from now (nbf)")


@pytest.mark.points(1)
@pytest.mark.hint("A token without exp would be valid forever: require the claim.")
def test_token_without_exp_is_rejected(client, tokens):
    assert_rejected(client, tokens.token(tokens.new_tenant(), exp=None), "a token without exp")


@pytest.mark.points(1)
@pytest.mark.hint("Check the audience: a token issued for another service is not for this API.")
def test_wrong_audience_is_rejected(client, tokens):
    tenant = tokens.new_tenant()
    for what, aud in (("aud 'gradebook'", "gradebook"),
                      ("aud ['gradebook', 'library']", ["gradebook", "library"]),
                      ("aud 'notes-api-staging'", "notes-api-staging"),
                      ("no aud", None)):
        assert_rejected(client, tokens.token(tenant, aud=aud), f"a token with {what}")


@pytest.mark.points(1)
@pytest.mark.hint("Check the issuer: only tokens from https://id.school.example/ are trusted.")
def test_wrong_issuer_is_rejected(client, tokens):
    tenant = tokens.new_tenant()
    for what, iss in (("iss 'https://evil.example/'", "https://evil.example/"),
                      ("iss 'https://id.school.example.evil/'", "https://id.school.example.evil/"),
                      ("no iss", None)):
        assert_rejected(client, tokens.token(tenant, iss=iss), f"a token with {what}")


@pytest.mark.points(1)
@pytest.mark.hint("A token must name its user (sub) and tenant; without them it is invalid.")
def test_token_without_subject_or_tenant_is_rejected(client, tokens):
    tenant = tokens.new_tenant()
    for what, changes in (("no tenant claim", {"tenant": None}),
                          ("an empty tenant claim", {"tenant": ""}),
                          ("no sub claim", {"sub": None})):
        assert_rejected(client, tokens.token(tenant, **changes), f"a token with {what}")


@pytest.mark.points(2)
@pytest.mark.hint(
    "Scope every lookup to the caller's tenant. Another tenant's note answers 404, exactly like "
    "a note that does not exist (403 would confirm that it exists)."
)
def test_other_tenants_notes_are_invisible(client, tokens):
    owner, intruder = tokens.new_tenant(), tokens.new_tenant()
    note = create_note(client, tokens.token(owner))
    response = client.get(f"/notes/{note['id']}", headers=bearer(tokens.token(intruder)))
    assert response.status_code == 404, (
        f"GET /notes/{{id}} of another tenant's note: expected 404, got {response.status_code}"
    )
    assert "secret plans" not in response.text, "another tenant's note content leaked"
    assert media_type(response) == "application/problem+json", "a 404 is a problem+json document"
    listed = client.get("/notes", headers=bearer(tokens.token(intruder)))
    assert listed.status_code == 200 and listed.json().get("items") == [], (
        "GET /notes for a tenant without notes must list nothing, not other tenants' notes"
    )


@pytest.mark.points(1)
@pytest.mark.hint("Deleting is scoped to the tenant too: another tenant's note answers 404.")
def test_other_tenants_note_cannot_be_deleted(client, tokens):
    owner, intruder = tokens.new_tenant(), tokens.new_tenant()
    note = create_note(client, tokens.token(owner))
    response = client.delete(f"/notes/{note['id']}", headers=bearer(tokens.token(intruder)))
    assert response.status_code == 404, (
        f"DELETE /notes/{{id}} of another tenant's note: expected 404, got {response.status_code}"
    )
    still = client.get(f"/notes/{note['id']}", headers=bearer(tokens.token(owner)))
    assert still.status_code == 200, "another tenant deleted the owner's note"
    mine = client.delete(f"/notes/{note['id']}", headers=bearer(tokens.token(owner)))
    assert mine.status_code == 204, (
        f"DELETE of the tenant's own note: expected 204, got {mine.status_code}"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Never take the tenant or the author from the request body: they come from the verified "
    "token only (tenant and sub)."
)
def test_tenant_comes_from_the_token(client, tokens):
    mine, victim = tokens.new_tenant(), tokens.new_tenant()
    note = create_note(client, tokens.token(mine, subject="user-honest"), tenant=victim,
                       author="user-framed")
    assert note.get("author") == "user-honest", (
        "POST /notes with an 'author' field in the body used it; the author is the token's sub"
    )
    assert note.get("tenant") == mine, (
        "POST /notes with a 'tenant' field in the body created the note in that tenant; "
        "the tenant must come from the token"
    )
    listed = client.get("/notes", headers=bearer(tokens.token(victim)))
    assert listed.status_code == 200 and listed.json().get("items") == [], (
        "a note was planted in another tenant through the request body"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "A note's title is 1 to 200 characters and its body at most 10000 (default \"\"); "
    "anything else is a 422 problem."
)
def test_note_fields_are_validated(client, tokens):
    token = tokens.token(tokens.new_tenant())
    for what, body in (("an empty title", {"title": "", "body": "x"}),
                       ("a title of 201 characters", {"title": "t" * 201, "body": "x"}),
                       ("no title", {"body": "x"}),
                       ("a body of 10001 characters", {"title": "ok", "body": "b" * 10_001})):
        response = client.post("/notes", json=body, headers=bearer(token))
        assert response.status_code == 422, (
            f"POST /notes with {what}: expected 422, got {response.status_code}"
        )
        assert media_type(response) == "application/problem+json", (
            f"POST /notes with {what}: a 422 is a problem+json document"
        )
    assert client.get("/notes", headers=bearer(token)).json().get("items") == [], (
        "a refused POST /notes must not create a note"
    )
    response = client.post("/notes", json={"title": "t" * 200}, headers=bearer(token))
    assert response.status_code == 201 and response.json().get("body") == "", (
        "POST /notes with a title of 200 characters and no body must create a note with the "
        f"body \"\", got {response.status_code}"
    )
