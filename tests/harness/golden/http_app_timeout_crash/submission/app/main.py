import os
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/ok")
def ok() -> dict:
    return {"ok": True}


@app.get("/slow")
async def slow() -> dict:
    time.sleep(30)  # blocks the event loop: the whole app stops answering
    return {"ok": True}


@app.get("/crash")
def crash() -> dict:
    os._exit(3)
