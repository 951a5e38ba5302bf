"""Payments API: a first version. It charges the customer on every POST,
so a client that retries after a timeout charges them twice.

Read README.md for what the API must do; this code is only a starting point.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from app.provider import charge

app = FastAPI(title="Payments")

payments: dict[str, dict[str, Any]] = {}


class PaymentIn(BaseModel):
    amount: int
    currency: str
    description: str | None = None


@app.post("/payments", status_code=201)
async def create_payment(payment: PaymentIn) -> dict[str, Any]:
    status = await charge(payment.amount, payment.currency)
    payment_id = f"pay_{len(payments) + 1}"
    stored = {"id": payment_id, **payment.model_dump(), "status": status}
    payments[payment_id] = stored
    return stored


@app.get("/payments")
async def list_payments() -> dict[str, Any]:
    return {"items": list(payments.values())}


@app.get("/payments/{payment_id}")
async def get_payment(payment_id: str) -> dict[str, Any]:
    if payment_id not in payments:
        raise HTTPException(status_code=404, detail="Not Found")
    return payments[payment_id]
