"""Exports API: a first version. POST /exports does the whole export while
the client waits; with a real data set that takes minutes and the client's
request times out long before.

Read README.md for what the API must do; this code is only a starting point.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from app.orders import ORDERS

app = FastAPI(title="Exports")

exports: dict[str, dict[str, Any]] = {}


class ExportIn(BaseModel):
    format: str
    steps: int = 0


def render(fmt: str) -> str:
    if fmt == "json":
        return json.dumps(ORDERS)
    lines = ["id,customer,amount"]
    for order in ORDERS:
        lines.append(f"{order['id']},{order['customer']},{order['amount']}")
    return "\n".join(lines) + "\n"


@app.get("/orders")
async def list_orders() -> list[dict[str, Any]]:
    return ORDERS


@app.post("/exports")
async def create_export(request: ExportIn) -> dict[str, Any]:
    export_id = f"exp{len(exports) + 1}"
    # Does all the work right now, while the client waits.
    exports[export_id] = {"id": export_id, "status": "done", "format": request.format,
                          "result": render(request.format)}
    return exports[export_id]


@app.get("/exports/{export_id}")
async def get_export(export_id: str) -> dict[str, Any]:
    if export_id not in exports:
        raise HTTPException(status_code=404, detail="Not Found")
    return exports[export_id]
