"""Hidden tests for sql-injection-search.

Leaks are detected by what the API promises, not by knowing the secrets: a
search for q answers only people whose name contains q literally, so every
result of an attack string must contain that string (none do), and nothing
from the api_keys table may ever appear. The app keeps its state, so tests
add their own people with a unique tag and assert only about those.
"""

from __future__ import annotations

import json
import uuid

import pytest

SECRET_MARK = "sk_live_"

# Messages may show the search term or name this test sent, never a name the
# app answered: the app gets the hidden payloads and could answer with them.


def tag() -> str:
    return uuid.uuid4().hex[:10]


def payloads(data_dir) -> dict[str, list[str]]:
    return json.loads((data_dir / "payloads.json").read_text(encoding="utf-8"))


def add(client, name: str, city: str = "Dublin", email: str | None = None) -> dict:
    person = {"name": name, "email": email or f"{uuid.uuid4().hex[:8]}@example.org", "city": city}
    response = client.post("/people", json=person)
    assert response.status_code == 201, (
        f"POST /people with the name {name!r}: expected 201, got {response.status_code}"
    )
    created = response.json()
    assert created.get("name") == name, (
        f"POST /people with the name {name!r} answered another name: store it exactly as sent"
    )
    return created


def search(client, q: str, **params) -> list[dict]:
    response = client.get("/people/search", params={"q": q, **params})
    assert response.status_code != 500, f"searching for {q!r} crashed the server (500)"
    assert response.status_code == 200, (
        f"searching for {q!r}: expected 200, got {response.status_code}; every string is a "
        "valid search term"
    )
    assert SECRET_MARK not in response.text, f"searching for {q!r} leaked an API key"
    body = response.json()
    results = body.get("results") if isinstance(body, dict) else None
    assert isinstance(results, list), "the search answers an object with a 'results' list"
    return results


def counted(found: list) -> str:
    """What a search found, by count alone (the names in it are the app's)."""
    return "it found someone else" if len(found) == 1 else f"it found {len(found)} people"


def names(results: list[dict]) -> list[str]:
    return [r.get("name") for r in results if isinstance(r, dict)]


def contains(name: object, q: str) -> bool:
    return isinstance(name, str) and q.casefold() in name.casefold()


def assert_literal(client, q: str, what: str) -> list[dict]:
    results = search(client, q)
    for name in names(results):
        assert contains(name, q), (
            f"{what}: searching for {q!r} returned a person whose name does not contain it: "
            "the search term changed the query"
        )
    assert len(names(results)) == len(results), f"{what}: every result must be a person object"
    return results


@pytest.mark.points(1)
@pytest.mark.hint("The search matches every name that contains the term, ignoring ASCII case.")
def test_search_finds_substrings(client):
    t = tag()
    ids = {add(client, f"Rowan Quill {t}")["id"], add(client, f"Rowena Quillon {t}")["id"]}
    add(client, f"Someone Else {t}x")
    found = {r.get("id") for r in search(client, "quill")}
    assert ids <= found, (
        "searching for 'quill' must find 'Rowan Quill ...' and 'Rowena Quillon ...'"
    )
    both = search(client, "QUILL")
    assert ids <= {r.get("id") for r in both}, "the search ignores case for ASCII letters"
    exact = search(client, f"Rowena Quillon {t}")
    assert [r.get("name") for r in exact] == [f"Rowena Quillon {t}"], (
        "searching for a full unique name must find exactly that person"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Names with apostrophes are ordinary names: O'Brien must be stored and found. Bind values as "
    "query parameters instead of removing or refusing quotes."
)
def test_apostrophe_names_are_found(client):
    t = tag()
    for name, term in ((f"Niamh O'Brien {t}", f"O'Brien {t}"),
                       (f"Pádraig O'Sullivan-D'Arcy {t}", f"O'Sullivan-D'Arcy {t}"),
                       (f"Rock 'n' Roll {t}", f"'n' Roll {t}")):
        add(client, name)
        found = names(search(client, term))
        assert found == [name], (
            f"searching for {term!r} must find exactly {name!r}; {counted(found)}"
        )
    common = names(search(client, "o'brien", limit=100))
    assert any(n.startswith("Niamh O'Brien") for n in common) and all(
        contains(n, "o'brien") for n in common
    ), "searching for \"o'brien\" must list the O'Briens and nobody else"


@pytest.mark.points(1)
@pytest.mark.hint("Non-ASCII names are stored and found like any others.")
def test_unicode_names_are_found(client):
    t = tag()
    for name, term in ((f"Zoë Ñúñez-Łukasz {t}", f"Ñúñez-Łukasz {t}"),
                       (f"Øystein Ærø {t}", f"Ærø {t}"),
                       (f"王小明 {t}", f"小明 {t}")):
        add(client, name, city="Tōkyō")
        found = names(search(client, term))
        assert found == [name], (
            f"searching for {term!r} must find {name!r}; {counted(found)}"
        )


@pytest.mark.points(1)
@pytest.mark.hint("An empty search term matches everybody (up to limit).")
def test_empty_query_lists_people(client):
    results = search(client, "", limit=5)
    assert len(results) == 5, f"q='' with limit=5 must answer 5 people, got {len(results)}"
    assert len(search(client, "")) == 20, "q='' without a limit must answer 20 people"


@pytest.mark.points(2)
@pytest.mark.hint(
    "Never build SQL by pasting in what the client sent; pass values as parameters "
    "(db.execute(sql, (value,)))."
)
def test_tautologies_match_nothing(client, data_dir):
    for q in payloads(data_dir)["tautologies"]:
        results = assert_literal(client, q, "an injection attempt")
        assert results == [], (
            f"searching for {q!r} must find nobody, it found {len(results)} people"
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "A UNION in the search term must stay text: no row of another table (api_keys, "
    "sqlite_master) may ever reach the response."
)
def test_union_payloads_leak_nothing(client, data_dir):
    for q in payloads(data_dir)["unions"]:
        results = assert_literal(client, q, "a UNION attack")
        assert results == [], f"searching for {q!r} must find nobody, it found {len(results)} rows"


@pytest.mark.points(1)
@pytest.mark.hint(
    "A search term with '; DROP TABLE ...' is just text: no error, and no data is changed."
)
def test_stacked_queries_change_nothing(client, data_dir):
    t = tag()
    person = add(client, f"Stacy Stacked {t}")
    for q in payloads(data_dir)["stacked"]:
        assert_literal(client, q, "a stacked-query attack")
    assert search(client, f"Stacy Stacked {t}") == [person], (
        "after searches with stacked queries, an existing person must be unchanged"
    )
    assert names(search(client, "mallory")) == [], "a stacked INSERT got through"


@pytest.mark.points(1)
@pytest.mark.hint("Quotes, backslashes, brackets and comment markers must not break the search.")
def test_odd_characters_do_not_break_search(client, data_dir):
    for q in payloads(data_dir)["odd"]:
        assert_literal(client, q, "a search with special characters")


@pytest.mark.points(2)
@pytest.mark.hint(
    "In LIKE, % and _ are wildcards: escape them (and the escape character) and add an "
    "ESCAPE clause, so that '100%' means the characters 1, 0, 0, %."
)
def test_like_wildcards_are_literal(client):
    t = tag()
    percent = add(client, f"100% Cotton {t}")
    underscore = add(client, f"snake_case {t}")
    backslash = add(client, f"back\\slash {t}")
    add(client, f"1000 Cottons {t}")
    add(client, f"snakeXcase {t}")
    add(client, f"backslash {t}")
    for person, term in ((percent, f"100% Cotton {t}"), (underscore, f"snake_case {t}"),
                         (backslash, f"back\\slash {t}")):
        found = search(client, term)
        assert found == [person], (
            f"searching for {term!r} must find exactly the person of that name; "
            f"{counted(found)}"
        )
    for wildcard in ("%", "_", "\\"):
        results = assert_literal(client, wildcard, "a search for a LIKE wildcard")
        assert results, f"searching for {wildcard!r} must find the names containing it"
    assert names(search(client, f"0% Cotton {t}")) == [percent["name"]], (
        f"'0% Cotton {t}' must match only the name that contains it literally"
    )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Column names cannot be bound as parameters: accept only sort=name or sort=city "
    "(an allow-list) and answer 422 for anything else."
)
def test_sort_is_allow_listed(client, data_dir):
    t = tag()
    add(client, f"Sorter B {t}", city="Amsterdam")
    add(client, f"Sorter A {t}", city="Cork")
    add(client, f"Sorter C {t}", city="Berlin")
    by_name = names(search(client, "Sorter", sort="name", limit=100))
    mine = [n for n in by_name if n.endswith(t)]
    assert mine == [f"Sorter A {t}", f"Sorter B {t}", f"Sorter C {t}"], (
        "sort=name must order the results by name"
    )
    by_city = [n for n in names(search(client, "Sorter", sort="city", limit=100)) if n.endswith(t)]
    assert by_city == [f"Sorter B {t}", f"Sorter C {t}", f"Sorter A {t}"], (
        "sort=city must order the results by city"
    )
    for sort in payloads(data_dir)["sort_injections"]:
        response = client.get("/people/search", params={"q": "Sorter", "sort": sort})
        assert response.status_code == 422, (
            f"sort={sort!r}: expected 422 (only 'name' and 'city' are allowed), got "
            f"{response.status_code}"
        )
        assert SECRET_MARK not in response.text, f"sort={sort!r} leaked an API key"
    assert names(search(client, f"Sorter A {t}")) == [f"Sorter A {t}"], (
        "after the sort attempts, the people table must be intact"
    )


@pytest.mark.points(1)
@pytest.mark.hint("Inserting a person must bind the values too: a name is stored exactly as sent.")
def test_insert_stores_names_literally(client):
    t = tag()
    tricky = f"x{t}', 'e', 'c'), ('injected {t}', 'e', 'c')--"
    response = client.post("/people", json={"name": tricky, "email": "it's@example.org",
                                            "city": "Dún Laoghaire"})
    assert response.status_code == 201, (
        f"POST /people with a name containing quotes: expected 201, got {response.status_code}"
    )
    assert names(search(client, f"x{t}")) == [tricky], "the name must be stored exactly as sent"
    assert names(search(client, f"injected {t}")) == [tricky], (
        "a name must never add a second row to the table"
    )


@pytest.mark.points(1)
@pytest.mark.hint("limit is an integer from 1 to 100: anything else is answered with 422.")
def test_limit_out_of_range_is_422(client):
    for bad in (0, -1, 101, 5000, "ten"):
        response = client.get("/people/search", params={"q": "", "limit": bad})
        assert response.status_code == 422, (
            f"GET /people/search?limit={bad}: expected 422, got {response.status_code}"
        )
    assert len(search(client, "", limit=1)) == 1, "limit=1 must answer exactly one person"
    assert len(search(client, "", limit=100)) <= 100, "limit=100 must be accepted"


@pytest.mark.points(1)
@pytest.mark.hint(
    "POST /people: name and email are 1 to 200 characters, city 1 to 100; anything else is 422."
)
def test_person_field_lengths_are_checked(client):
    t = tag()
    good = {"name": f"Len Check {t}", "email": f"{t}@example.org", "city": "Galway"}
    for what, change in (("an empty name", {"name": ""}),
                         ("a name of 201 characters", {"name": f"{t} " + "n" * 190}),
                         ("an empty email", {"email": ""}),
                         ("an email of 201 characters", {"email": "e" * 190 + f"@{t}"}),
                         ("an empty city", {"city": ""}),
                         ("a city of 101 characters", {"city": "c" * 101}),
                         ("a missing city", {"city": None})):
        person = {k: v for k, v in {**good, **change}.items() if v is not None}
        response = client.post("/people", json=person)
        assert response.status_code == 422, (
            f"POST /people with {what}: expected 422, got {response.status_code}"
        )
    assert names(search(client, t)) == [], "a refused POST /people must not store anyone"
    edge = {"name": f"{t} " + "N" * 189, "email": "E" * 189 + f"@{t}", "city": "C" * 100}
    assert len(edge["name"]) == 200 and len(edge["email"]) == 200
    created = add(client, edge["name"], city=edge["city"], email=edge["email"])
    assert created.get("city") == edge["city"], "a city of exactly 100 characters must be stored"
