"""What a transit case sees: send a request through the gateway with the upstream's answer
scripted, and have both sides compared.

    def test_x(mconf_transit):
        marker = mconf_transit.marker()
        answer = script.json_answer(script.message(marker))
        crossing = mconf_transit.send(mconf_transit.body(marker), answer, marker=marker)

Every finding (correlation, request and response fidelity, round trips) joins the harness's
findings, so the plugin fails the case and the report carries the evidence of both sides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Barrier
from typing import Any

from ..core import correlation
from ..core.exchange import Exchange
from ..core.findings import Finding
from ..core.transit import Policy, compare, crossed
from ..transit.legs import Control, Legs, scripted
from .harness import Harness, Result

# client-side rule -> the transit rules that report the same deviation with both sides' evidence
SAME_DEVIATION: dict[str, set[str]] = {
    "http.status-error-type": {"transit.error.status", "transit.error.type"},
    "http.retry-after": {"transit.error.retry-after", "transit.error.status"},
    "http.request-id": {"transit.response.request-id"},
}


@dataclass(slots=True)
class Crossing:
    """One request through the gateway: the client's result, the upstream's leg, findings."""

    result: Result
    upstream: Exchange | None
    findings: list[Finding] = field(default_factory=list)


class TransitCase:
    """A harness bound to both sides of the gateway."""

    def __init__(self, harness: Harness, control: Control, policy: Policy, seed: str) -> None:
        self.harness = harness
        self.control = control
        self.policy = policy
        self._seed = seed
        self._count = 0

    def marker(self) -> str:
        """A fresh marker for one request of this case (the same in every run)."""
        self._count += 1
        return correlation.marker_for(f"{self._seed}#{self._count}")

    def body(self, marker: str, text: str = "Say hello.", **extra: Any) -> dict[str, Any]:
        """A small valid body whose user text carries the marker."""
        return self.harness.body(correlation.marked_text(marker, text), **extra)

    def send(
        self,
        body: dict[str, Any],
        answer: Mapping[str, Any],
        *,
        marker: str,
        headers: Mapping[str, str | None] | None = None,
        judged: bool = True,
        issued: Exchange | None = None,
    ) -> Crossing:
        """Script the upstream's ``answer``, send ``body`` through the gateway, compare.

        ``judged=False`` leaves the client's answer to the comparison alone (for answers the
        upstream breaks on purpose); ``issued`` is the previous turn's upstream leg."""
        self.control.script(marker, answer)
        kept = len(self.harness.findings)
        result = self._client(body, marker, headers, judged)
        crossing = self._judged(result, self.control.legs(marker), issued)
        self._once(kept, crossing.findings)
        return crossing

    def _once(self, kept: int, found: list[Finding]) -> None:
        """Add the transit findings; a client-side finding of this exchange that one of them
        explains with both sides' evidence is dropped (each deviation is reported once)."""
        seen = {f.rule for f in found}
        explained = {rule for rule, by in SAME_DEVIATION.items() if seen & by}
        fresh = self.harness.findings[kept:]
        self.harness.findings[kept:] = [f for f in fresh if f.rule not in explained]
        self.harness.findings.extend(found)

    def parallel(
        self, requests: Sequence[tuple[dict[str, Any], Mapping[str, Any], str]]
    ) -> list[Crossing]:
        """(body, answer, marker) triples sent at the same moment from as many threads."""
        for _, answer, marker in requests:
            self.control.script(marker, answer)
        start = Barrier(len(requests))

        def one(request: tuple[dict[str, Any], Mapping[str, Any], str]) -> Result:
            start.wait()
            return self._client(request[0], request[2], None, True)

        with ThreadPoolExecutor(len(requests)) as pool:
            results = list(pool.map(one, requests))
        crossings = [
            self._judged(result, self.control.legs(marker), None)
            for result, (_, _, marker) in zip(results, requests, strict=True)
        ]
        pairs = [
            (c.result.exchange, c.upstream or scripted(answer))
            for c, (_, answer, _) in zip(crossings, requests, strict=True)
        ]
        for crossing, swapped in zip(crossings, crossed(pairs), strict=True):
            crossing.findings = swapped or crossing.findings  # one deviation, reported once
            self._once(len(self.harness.findings), crossing.findings)
        return crossings

    def _client(
        self,
        body: dict[str, Any],
        marker: str,
        headers: Mapping[str, str | None] | None,
        judged: bool,
    ) -> Result:
        wire = {correlation.CASE_HEADER: marker, **(headers or {})}
        return self.harness.send(body, headers=wire, retries=0, judged=judged)

    def _judged(self, result: Result, legs: Legs, issued: Exchange | None) -> Crossing:
        if not legs.legs:
            lost = correlation.UNMATCHED.finding(
                "no request with this case's marker reached the upstream "
                f"(the client received {result.status})",
                location="upstream",
                expected="one forwarded request",
                received=list(legs.unmatched[-3:]) or "nothing at all",
            )
            return Crossing(result, None, [lost])
        leg = legs.legs[-1]
        found: list[Finding] = list(_correlation(legs))
        found += compare(result.exchange, leg.exchange, self.policy, issued=issued)
        return Crossing(result, leg.exchange, found)


def _correlation(legs: Legs) -> list[Finding]:
    found = []
    if len(legs.legs) > 1:
        found.append(
            correlation.RETRIED.finding(
                f"the upstream received this case's request {len(legs.legs)} times",
                location="upstream",
                expected=1,
                received=[leg.exchange.response.status for leg in legs.legs],
            )
        )
    how = legs.legs[-1].how
    if how != "marker":
        found.append(
            correlation.FALLBACK.finding(
                f"the forwarded body lost the case's marker; matched by {how}",
                location="request:/messages",
                expected="the marker in the user text",
                received=how,
            )
        )
    return found
