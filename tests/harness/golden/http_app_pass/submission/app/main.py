from fastapi import FastAPI, HTTPException

from app.store import Store

app = FastAPI()
store = Store()


@app.post("/notes", status_code=201)
def create(note: dict) -> dict:
    print("creating a note")
    return store.add(note.get("text", ""))


@app.get("/notes/{note_id}")
def read(note_id: int) -> dict:
    note = store.get(note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="no such note")
    return note
