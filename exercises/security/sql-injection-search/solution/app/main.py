"""Reference solution for sql-injection-search.

Every value from the client reaches SQLite as a bound parameter; the only
piece of SQL chosen by the client, the ORDER BY column, comes from an
allow-list. The search term is matched literally: LIKE's wildcards (%, _)
and the escape character itself are escaped, with an explicit ESCAPE clause.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from app.seed import API_KEYS, PEOPLE

app = FastAPI(title="People directory")

db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT)")
db.execute("CREATE TABLE api_keys (id INTEGER PRIMARY KEY, owner TEXT, key TEXT)")
db.executemany("INSERT INTO people (name, email, city) VALUES (?, ?, ?)", PEOPLE)
db.executemany("INSERT INTO api_keys (owner, key) VALUES (?, ?)", API_KEYS)
db.commit()

# The only SQL fragments a client can choose, by name.
SORT_COLUMNS = {"name": "name", "city": "city"}


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)


def row_to_person(row: tuple) -> dict[str, Any]:
    return {"id": row[0], "name": row[1], "email": row[2], "city": row[3]}


def like_literal(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@app.get("/people/search")
async def search(
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Literal["name", "city"] = "name",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    column = SORT_COLUMNS[sort]
    rows = db.execute(
        "SELECT id, name, email, city FROM people "
        f"WHERE name LIKE ? ESCAPE '\\' ORDER BY {column}, id LIMIT ?",
        (like_literal(q), limit),
    ).fetchall()
    return {"results": [row_to_person(r) for r in rows]}


@app.post("/people", status_code=201)
async def add_person(person: PersonIn) -> dict[str, Any]:
    cur = db.execute(
        "INSERT INTO people (name, email, city) VALUES (?, ?, ?)",
        (person.name, person.email, person.city),
    )
    db.commit()
    return {"id": cur.lastrowid, **person.model_dump()}
