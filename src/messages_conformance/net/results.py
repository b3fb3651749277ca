"""What one request gave: the exchange as sent and answered, with its timings."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.exchange import Exchange

# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One request as sent and answered. Credentials in the exchange are redacted.

    ``ttfb_s`` runs from sending to the first body byte (to the headers when the body is
    empty); ``total_s`` to the end of the body. Both are for the last attempt.
    """

    exchange: Exchange
    ttfb_s: float
    total_s: float
    retries: int = 0
    truncated_body: bool = False


@dataclass(frozen=True, slots=True)
class _Body:
    data: bytes
    ttfb_s: float
    truncated: bool
