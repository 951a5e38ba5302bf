"""Documents API: a first version. Two people editing the same document
overwrite each other without noticing (the "lost update").

Read README.md for what the API must do; this code is only a starting point.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI(title="Documents")

documents: dict[int, dict[str, Any]] = {}


class DocumentIn(BaseModel):
    title: str
    body: str = ""


class DocumentPatch(BaseModel):
    title: str | None = None
    body: str | None = None


@app.post("/documents", status_code=201)
async def create_document(doc: DocumentIn) -> dict[str, Any]:
    doc_id = len(documents) + 1
    documents[doc_id] = {"id": doc_id, **doc.model_dump()}
    return documents[doc_id]


@app.get("/documents/{doc_id}")
async def get_document(doc_id: int) -> dict[str, Any]:
    if doc_id not in documents:
        raise HTTPException(status_code=404, detail="Not Found")
    return documents[doc_id]


@app.put("/documents/{doc_id}")
async def replace_document(doc_id: int, doc: DocumentIn) -> dict[str, Any]:
    if doc_id not in documents:
        raise HTTPException(status_code=404, detail="Not Found")
    documents[doc_id] = {"id": doc_id, **doc.model_dump()}
    return documents[doc_id]


@app.patch("/documents/{doc_id}")
async def update_document(doc_id: int, patch: DocumentPatch) -> dict[str, Any]:
    if doc_id not in documents:
        raise HTTPException(status_code=404, detail="Not Found")
    documents[doc_id].update(patch.model_dump(exclude_unset=True))
    return documents[doc_id]
