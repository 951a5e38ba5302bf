"""The payment provider, simulated. Keep this file as it is.

A real provider is a slow network call that moves money: calling it twice
charges the customer twice. Here it only waits, like the network would.
"""

from __future__ import annotations

import asyncio

PROVIDER_SECONDS = 0.1


async def charge(amount: int, currency: str) -> str:
    """Charge the customer; returns the provider's status for the payment."""
    await asyncio.sleep(PROVIDER_SECONDS)
    return "succeeded"
