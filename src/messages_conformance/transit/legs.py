"""The case's side of the upstream's control path: hand it a script, read back the legs.

Both calls go through the transport, so in record mode they land in the case's cassette next
to the client's exchange, and a replay answers them from there: the upstream leg is recorded
and re-checked offline like the client leg.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.exchange import Exchange, Request, Response
from ..core.transit import CUT_HEADER
from ..net.transport import TargetError, Transport
from .upstream import CONTROL, body_of

WAIT_S = 2


class ControlError(TargetError):
    what = "the scripted upstream failed at"


@dataclass(frozen=True, slots=True)
class Leg:
    """What reached the upstream for a case and what it answered, as one exchange."""

    exchange: Exchange
    how: str  # how the upstream recognised the case: marker | header | only-open


@dataclass(frozen=True, slots=True)
class Legs:
    legs: tuple[Leg, ...]
    unmatched: tuple[str, ...]  # recent requests the upstream could not place


class Control:
    """Talks to the scripted upstream at ``transport``'s base URL."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def script(self, marker: str, answer: Mapping[str, Any]) -> None:
        sent = self.transport.send(
            answer, method="PUT", path=CONTROL + marker, auth="none", retries=0
        )
        if sent.exchange.response.status != 204:
            status = sent.exchange.response.status
            raise ControlError(self.transport.url(CONTROL + marker), f"PUT answered {status}")

    def legs(self, marker: str) -> Legs:
        path = f"{CONTROL}{marker}?wait={WAIT_S}"
        sent = self.transport.send(None, method="GET", path=path, auth="none", retries=0)
        response = sent.exchange.response
        try:
            data = Request("GET", "", {}, response.body).json()
            legs = tuple(_leg(item) for item in data["legs"])
            return Legs(legs, tuple(str(u) for u in data.get("unmatched", [])))
        except (TypeError, KeyError, ValueError) as exc:
            url = self.transport.url(path)
            raise ControlError(url, f"unreadable answer {response.status}: {exc}") from None


def _leg(item: dict[str, Any]) -> Leg:
    asked, answered = item["request"], item.get("response") or {"status": 0, "headers": {}}
    sent = {k.lower(): v for k, v in dict(asked["headers"]).items()}
    request = Request(asked["method"], asked["url"], sent, body_of(asked))
    headers = {k.lower(): v for k, v in dict(answered["headers"]).items()}
    if item.get("cut"):
        headers[CUT_HEADER] = "the upstream closed the connection mid-body on purpose"
    response = Response(int(answered["status"]), headers, body_of(answered))
    return Leg(Exchange(response, request, name="upstream"), str(item.get("how", "marker")))


def scripted(answer: Mapping[str, Any]) -> Exchange:
    """The answer a script describes, as the upstream would send it (for a request that never
    reached the upstream, to say what it should have received)."""
    if "events" in answer:
        frames = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in answer["events"]]
        headers = {"content-type": "text/event-stream"}
        return Exchange(Response(int(answer["status"]), headers, "".join(frames).encode()))
    headers = {"content-type": "application/json"}
    return Exchange(Response(int(answer["status"]), headers, json.dumps(answer["json"]).encode()))
