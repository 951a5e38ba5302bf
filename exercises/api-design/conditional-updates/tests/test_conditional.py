"""Hidden tests for conditional-updates.

The app runs once per session and keeps its state: every test creates its
own documents (unique titles) and asserts only about them.
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

STRONG_ETAG = re.compile(r'^"[\x21\x23-\x7e\x80-\xff]*"$')
PROBLEM_FIELDS = ("type", "title", "status", "detail")


def unique(prefix: str = "doc") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check_problem(response, status: int, what: str) -> dict:
    assert response.status_code == status, (
        f"{what}: expected status {status}, got {response.status_code}"
    )
    assert media_type(response) == "application/problem+json", (
        f"{what}: expected content type application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict), f"{what}: the problem body must be a JSON object"
    for name in PROBLEM_FIELDS:
        assert name in body, f"{what}: the problem document needs a {name!r} field"
    assert body["status"] == status, f"{what}: the problem's 'status' differs from the HTTP status"
    return body


def etag(response, what: str) -> str:
    value = response.headers.get("etag")
    assert value, f"{what}: the response has no ETag header"
    return value


def create(client, body: str = "first draft") -> tuple[int, str, dict]:
    response = client.post("/documents", json={"title": unique(), "body": body})
    assert response.status_code == 201, f"POST /documents answered {response.status_code}"
    doc = response.json()
    return doc["id"], etag(response, "POST /documents"), doc


def read(client, doc_id: int, **headers: str) -> httpx.Response:
    return client.get(f"/documents/{doc_id}", headers=headers)


def current(client, doc_id: int) -> tuple[str, dict]:
    response = read(client, doc_id)
    # The id is the app's own (a hidden test's input could ride in it): never quoted.
    assert response.status_code == 200, f"GET /documents/{{id}} answered {response.status_code}"
    return etag(response, "GET /documents/{id}"), response.json()


def put(client, doc_id: int, doc: dict, if_match: str | None) -> httpx.Response:
    headers = {} if if_match is None else {"If-Match": if_match}
    return client.put(f"/documents/{doc_id}", json=doc, headers=headers)


def patch(client, doc_id: int, changes: dict, if_match: str | None) -> httpx.Response:
    headers = {"content-type": "application/merge-patch+json"}
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.patch(f"/documents/{doc_id}", content=json.dumps(changes), headers=headers)


@pytest.mark.points(2)
@pytest.mark.hint(
    'Send a strong ETag (a quoted string like "a1b2", without W/) that stays the same as long '
    "as the document does."
)
def test_get_has_stable_strong_etag(client):
    doc_id, created_tag, created = create(client)
    first_tag, first = current(client, doc_id)
    assert STRONG_ETAG.match(first_tag), (
        "the ETag must be a strong entity-tag: a double-quoted string without W/"
    )
    second_tag, _ = current(client, doc_id)
    assert first_tag == second_tag, "two GETs of an unchanged document gave different ETags"
    assert created_tag == first_tag, (
        "the ETag sent with 201 Created differs from the one GET sends for the same document"
    )
    assert first == created, "GET returned a different document than POST created"


@pytest.mark.points(2)
@pytest.mark.hint(
    "A GET whose If-None-Match names the current ETag answers 304 Not Modified, "
    "with the ETag and no body."
)
def test_if_none_match_current_is_304(client):
    doc_id, _, _ = create(client)
    tag, _ = current(client, doc_id)
    response = read(client, doc_id, **{"If-None-Match": tag})
    assert response.status_code == 304, (
        f"GET with If-None-Match: <current ETag>: expected 304, got {response.status_code}"
    )
    assert response.content == b"", "a 304 response has no body"
    assert response.headers.get("etag") == tag, "a 304 response carries the current ETag"


@pytest.mark.points(1)
@pytest.mark.hint(
    "If-None-Match may hold a list of ETags or '*'; a tag that is not the current one gets the "
    "full 200 response."
)
def test_if_none_match_lists_star_and_stale(client):
    doc_id, old_tag, _ = create(client)
    response = patch(client, doc_id, {"body": "second draft"}, old_tag)
    assert response.status_code == 200, (
        f"PATCH with the current ETag answered {response.status_code}"
    )
    tag, doc = current(client, doc_id)
    stale = read(client, doc_id, **{"If-None-Match": old_tag})
    assert stale.status_code == 200 and stale.json() == doc, (
        "GET with If-None-Match: <an older ETag> must answer 200 with the current document, "
        f"got {stale.status_code}"
    )
    listed = read(client, doc_id, **{"If-None-Match": f'"nope-1", {tag}, "nope-2"'})
    assert listed.status_code == 304, (
        f"GET with If-None-Match listing the current ETag among others: expected 304, got "
        f"{listed.status_code}"
    )
    star = read(client, doc_id, **{"If-None-Match": "*"})
    assert star.status_code == 304, (
        f"GET with If-None-Match: * on an existing document: expected 304, got {star.status_code}"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "A write without If-Match cannot be checked against what the client read: answer 428 "
    "Precondition Required (problem+json) and change nothing."
)
def test_put_without_if_match_is_428(client):
    doc_id, tag, doc = create(client)
    response = put(client, doc_id, {"title": unique("blind"), "body": "overwritten"}, None)
    check_problem(response, 428, "PUT without If-Match")
    after_tag, after = current(client, doc_id)
    assert after == doc and after_tag == tag, "a PUT refused with 428 must not change the document"


@pytest.mark.points(2)
@pytest.mark.hint(
    "If-Match that does not name the current ETag means the client edited an old version: "
    "answer 412 Precondition Failed (problem+json) and change nothing."
)
def test_stale_if_match_is_412(client):
    doc_id, tag, doc = create(client)
    for stale in ('"0000"', '"not-the-etag"', f'"{uuid.uuid4().hex}"'):
        response = put(client, doc_id, {"title": unique("stale"), "body": "x"}, stale)
        check_problem(response, 412, f"PUT with If-Match: {stale}")
    after_tag, after = current(client, doc_id)
    assert after == doc and after_tag == tag, "a PUT refused with 412 must not change the document"


@pytest.mark.points(2)
@pytest.mark.hint(
    "PUT with the current ETag in If-Match replaces the document and answers 200 with it and "
    "its new ETag."
)
def test_put_with_current_etag_updates(client):
    doc_id, tag, _ = create(client)
    new = {"title": unique("replaced"), "body": "second version"}
    response = put(client, doc_id, new, tag)
    assert response.status_code == 200, (
        f"PUT with If-Match: <current ETag>: expected 200, got {response.status_code}"
    )
    body = response.json()
    assert body.get("id") == doc_id and body.get("title") == new["title"] and (
        body.get("body") == new["body"]
    ), "PUT must answer the replaced document"
    new_tag = etag(response, "PUT")
    assert new_tag != tag, "the document changed, so its ETag must change"
    got_tag, got = current(client, doc_id)
    assert got == body and got_tag == new_tag, (
        "after the PUT, GET must show the new document with the ETag the PUT answered"
    )
    check_problem(put(client, doc_id, new, tag), 412, "PUT with the ETag from before the update")


@pytest.mark.points(1)
@pytest.mark.hint("PATCH changes the document too: the same If-Match rules apply (428, 412).")
def test_patch_requires_if_match(client):
    doc_id, tag, doc = create(client)
    check_problem(patch(client, doc_id, {"body": "sneaky"}, None), 428, "PATCH without If-Match")
    check_problem(patch(client, doc_id, {"body": "sneaky"}, '"stale"'), 412,
                  'PATCH with If-Match: "stale"')
    after_tag, after = current(client, doc_id)
    assert after == doc and after_tag == tag, "a refused PATCH must not change the document"


@pytest.mark.points(1)
@pytest.mark.hint(
    "PATCH (a JSON merge patch) changes only the fields it names and answers 200 with a new ETag."
)
def test_patch_merges_fields(client):
    doc_id, tag, doc = create(client, body="keep me")
    title = unique("patched")
    response = patch(client, doc_id, {"title": title}, tag)
    assert response.status_code == 200, (
        f"PATCH with If-Match: <current ETag>: expected 200, got {response.status_code}"
    )
    assert response.json() == {**doc, "title": title}, (
        "PATCH {'title': ...} must change the title and keep the body"
    )
    new_tag = etag(response, "PATCH")
    assert new_tag != tag, "PATCH changed the document, so its ETag must change"
    assert current(client, doc_id) == (new_tag, {**doc, "title": title}), (
        "GET after PATCH must show the patched document and the ETag PATCH answered"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Two clients read the same version; the first save wins, the second must get 412 and "
    "reload instead of silently overwriting."
)
def test_lost_update_is_prevented(client, base_url, call_timeout):
    doc_id, _, _ = create(client, body="shared")
    with httpx.Client(base_url=base_url, timeout=call_timeout) as alice, httpx.Client(
        base_url=base_url, timeout=call_timeout
    ) as bob:
        alice_tag, alice_doc = current(alice, doc_id)
        bob_tag, bob_doc = current(bob, doc_id)
        alice_edit = {**alice_doc, "body": "alice was here"}
        bob_edit = {**bob_doc, "body": "bob was here"}
        first = put(alice, doc_id, {"title": alice_edit["title"], "body": alice_edit["body"]},
                    alice_tag)
        assert first.status_code == 200, f"Alice's PUT answered {first.status_code}, not 200"
        second = put(bob, doc_id, {"title": bob_edit["title"], "body": bob_edit["body"]}, bob_tag)
        assert second.status_code == 412, (
            "Bob saved an edit of the version Alice had already replaced: expected 412, got "
            f"{second.status_code} (Alice's change would be lost)"
        )
        tag, doc = current(bob, doc_id)
        assert doc.get("body") == "alice was here", "Alice's update was overwritten"
        retry = put(bob, doc_id, {"title": doc["title"], "body": "alice and bob"}, tag)
        assert retry.status_code == 200, (
            f"Bob's PUT after reloading the current version: expected 200, got {retry.status_code}"
        )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Every change (PUT or PATCH) must give a new ETag, even several changes within the same "
    "second: derive it from the content, or from a version bumped on every write."
)
def test_etag_changes_on_every_update(client):
    doc_id, tag, _ = create(client, body="v0")
    seen = [tag]
    for n in range(1, 5):
        response = patch(client, doc_id, {"body": f"v{n}"}, seen[-1])
        assert response.status_code == 200, (
            f"PATCH #{n} with the ETag of the previous response answered {response.status_code}"
        )
        seen.append(etag(response, f"PATCH #{n}"))
    assert len(set(seen)) == len(seen), (
        f"{len(seen)} versions of a document, edited quickly one after another, got only "
        f"{len(set(seen))} different ETags"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "If-Match may list several ETags: it matches when any one of them is the current ETag."
)
def test_if_match_accepts_a_list(client):
    doc_id, tag, _ = create(client)
    response = put(client, doc_id, {"title": unique("listed"), "body": "ok"},
                   f'"old-version", {tag}')
    assert response.status_code == 200, (
        f"PUT with If-Match listing the current ETag after another one: expected 200, got "
        f"{response.status_code}"
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "If-Match uses the strong comparison (RFC 9110): a weak tag W/\"...\" never matches."
)
def test_if_match_weak_tag_is_412(client):
    doc_id, tag, doc = create(client)
    weak = "W/" + tag.removeprefix("W/")
    response = put(client, doc_id, {"title": unique("weak"), "body": "x"}, weak)
    check_problem(response, 412, "PUT with If-Match: W/ and the current ETag (a weak tag)")
    assert current(client, doc_id)[1] == doc, "a refused PUT must not change the document"


@pytest.mark.points(1)
@pytest.mark.hint(
    "Invalid documents (title 1-200 characters, body at most 10000) are 422 problem+json, "
    "even with a matching If-Match."
)
def test_invalid_update_is_422_problem(client):
    doc_id, tag, doc = create(client)
    for what, new in (("an empty title", {"title": "", "body": "x"}),
                      ("a title of 201 characters", {"title": "t" * 201, "body": "x"}),
                      ("a numeric title", {"title": 12, "body": "x"}),
                      ("a body of 10001 characters", {"title": "ok", "body": "b" * 10_001}),
                      ("no title", {"body": "x"})):
        check_problem(put(client, doc_id, new, tag), 422, f"PUT with {what}")
    check_problem(patch(client, doc_id, {"title": None}, tag), 422, "PATCH with title null")
    assert current(client, doc_id) == (tag, doc), "a refused update must not change the document"


@pytest.mark.points(1)
@pytest.mark.hint("Unknown documents answer 404 in the problem+json format, for reads and writes.")
def test_unknown_document_is_404_problem(client):
    check_problem(read(client, 987654321), 404, "GET /documents/987654321")
    check_problem(put(client, 987654321, {"title": "x", "body": ""}, '"abc"'), 404,
                  "PUT /documents/987654321")


@pytest.mark.points(1)
@pytest.mark.hint(
    "POST answers 201 Created with Location: /documents/{id}; a document created without a "
    "body has the body \"\"."
)
def test_create_answers_201_with_location(client):
    title = unique("created")
    response = client.post("/documents", json={"title": title})
    assert response.status_code == 201, (
        f"POST /documents with a title only: expected 201, got {response.status_code}"
    )
    doc = response.json()
    location = response.headers.get("location", "")
    assert location.split("?")[0].endswith(f"/documents/{doc.get('id')}") and (
        location.startswith(("/", "http://", "https://"))
    ), "the Location header should be /documents/{id}, with the 'id' of the new document"
    assert doc.get("title") == title and doc.get("body") == "", (
        "a document created without a body has the body \"\" (an empty string)"
    )


@pytest.mark.points(1)
@pytest.mark.hint("If-Match: * matches any existing document: the write goes through (200).")
def test_if_match_star_matches(client):
    doc_id, _tag, _ = create(client)
    new = {"title": unique("starred"), "body": "any version"}
    response = put(client, doc_id, new, "*")
    assert response.status_code == 200, (
        f"PUT with If-Match: * on an existing document: expected 200, got {response.status_code}"
    )
    assert current(client, doc_id)[1].get("title") == new["title"], (
        "PUT with If-Match: * must replace the document"
    )
    check_problem(put(client, 987654322, new, "*"), 404,
                  "PUT /documents/987654322 with If-Match: * (no such document)")


@pytest.mark.points(1)
@pytest.mark.hint(
    "Check in the README's order: unknown id (404), then a missing If-Match (428), then a "
    "stale one (412), and only then the body (422)."
)
def test_preconditions_are_checked_before_the_body(client):
    doc_id, tag, doc = create(client)
    invalid = {"title": "", "body": "x"}
    check_problem(put(client, doc_id, invalid, None), 428,
                  "PUT without If-Match and with an empty title")
    check_problem(put(client, doc_id, invalid, '"stale"'), 412,
                  'PUT with If-Match: "stale" and an empty title')
    check_problem(patch(client, doc_id, {"title": None}, '"stale"'), 412,
                  'PATCH with If-Match: "stale" and title null')
    check_problem(put(client, 987654323, invalid, None), 404,
                  "PUT /documents/987654323 (no such document) without If-Match")
    assert current(client, doc_id) == (tag, doc), "a refused update must not change the document"


@pytest.mark.points(1)
@pytest.mark.hint("A 422 problem lists each wrong field in 'errors', with 'field' and 'message'.")
def test_invalid_update_names_the_fields(client):
    doc_id, tag, _ = create(client)
    for what, new, field in (("an empty title", {"title": "", "body": "x"}, "title"),
                             ("a body of 10001 characters", {"title": "ok", "body": "b" * 10_001},
                              "body")):
        problem = check_problem(put(client, doc_id, new, tag), 422, f"PUT with {what}")
        errors = problem.get("errors")
        assert isinstance(errors, list) and errors, (
            f"PUT with {what}: the problem needs a non-empty 'errors' list"
        )
        for entry in errors:
            assert isinstance(entry, dict) and isinstance(entry.get("field"), str) and (
                isinstance(entry.get("message"), str)
            ), f"PUT with {what}: each entry of 'errors' needs 'field' and 'message'"
        fields = {entry["field"].replace("/", ".").split(".")[-1] for entry in errors}
        assert field in fields, f"PUT with {what}: 'errors' should name {field!r}"
