"""Rules ``timing.*``: is a stream delivered as it is produced?

Judged over a ``Trace`` (values; no clock). From the client side alone a fast upstream may
legitimately burst, so findings are warnings; in transit mode the upstream's own pacing is
known (``check_transit``), so a difference is the gateway's doing and an error.

Thresholds come from the target profile (``[NAME.timing]``, see ``Limits``); the defaults
are documented there and in docs/timing.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .findings import Finding, Rule, Severity
from .timing import Arrival, Trace

__all__ = ["RULES", "Limits", "burst", "check_timing", "check_transit"]

W = Severity.WARNING
BUFFERED = Rule(
    "timing.buffered-stream",
    W,
    "the events of a stream that took a while arrive in one burst (held back on the way)",
)
FIRST_EVENT = Rule(
    "timing.first-event",
    W,
    "in transit, the gateway adds little to the upstream's time to first event "
    "(client side the figure is reported, not judged)",
)
SILENT_GAP = Rule(
    "timing.silent-gap",
    W,
    "a stream is never silent (no byte, not even a ping) for longer than the idle timeout",
)
COMPRESSED = Rule(
    "timing.compressed-stream",
    W,
    "an event stream is sent without content-encoding (compression holds events back)",
)
RULES = (BUFFERED, FIRST_EVENT, SILENT_GAP, COMPRESSED)


@dataclass(frozen=True, slots=True)
class Limits:
    """Thresholds of the timing rules; a profile's ``[NAME.timing]`` table overrides them."""

    # Longest silence a stream may have. Clients and load balancers cut idle connections
    # (AWS ALB and nginx's proxy_read_timeout default to 60 s); half of that leaves room.
    idle_timeout_s: float = 30.0
    # A burst: at least burst_share of a stream's events (pings aside) arrive within
    # burst_window_s. Judged only for streams of at least burst_min_events events whose
    # last event came burst_min_stream_s or later after the request: shorter ones may
    # simply have been fast.
    burst_min_events: int = 12
    burst_window_s: float = 0.05
    burst_share: float = 0.9
    burst_min_stream_s: float = 0.5
    # Transit only: what the gateway may add to the upstream's time to first event.
    first_event_added_s: float = 1.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Limits:
        """Limits from a profile table; ValueError (one line) for unknown keys or bad values."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown timing keys {unknown}; known: {', '.join(known)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"timing.{name} must be a non-negative number, not {value!r}")
            values[name] = int(value) if name == "burst_min_events" else float(value)
        return replace(cls(), **values)


def burst(arrivals: tuple[Arrival, ...], window_s: float) -> tuple[int, float]:
    """The most events arriving within ``window_s`` of each other, and when that burst began."""
    best, began, low = 0, 0.0, 0
    for high, arrival in enumerate(arrivals):
        while arrival.at - arrivals[low].at > window_s:
            low += 1
        if high - low + 1 > best:
            best, began = high - low + 1, arrivals[low].at
    return best, began


def check_timing(trace: Trace | None, limits: Limits | None = None) -> Iterator[Finding]:
    """Client-side verdicts (warnings) over one response's trace; nothing without one."""
    if trace is None or not trace.streamed:
        return
    limits = limits or Limits()
    yield from _compressed(trace)
    yield from _silent_gap(trace, limits)
    yield from _buffered(trace, limits)


def check_transit(
    client: Trace | None, upstream: Trace | None, limits: Limits | None = None
) -> Iterator[Finding]:
    """Transit verdicts (errors): what the client received against what the upstream sent
    (the upstream's trace: times since it received the request, each event when it was
    written). A rule applies only where the upstream's own pacing clears the gateway."""
    if client is None or upstream is None or not client.streamed:
        return
    limits = limits or Limits()
    if not upstream.timing.compressed:
        yield from _errors(_compressed(client))
    if upstream.timing.longest_silence()[1] <= limits.idle_timeout_s:
        yield from _errors(_silent_gap(client, limits))
    if not _is_burst(upstream, limits, judge_short=True):
        yield from _errors(_buffered(client, limits))
    yield from _errors(_first_event(client, upstream, limits))


def _errors(findings: Iterator[Finding]) -> Iterator[Finding]:
    for finding in findings:
        yield replace(finding, severity=Severity.ERROR)


def _compressed(trace: Trace) -> Iterator[Finding]:
    if trace.timing.compressed:
        yield COMPRESSED.finding(
            f"the event stream came with content-encoding: {trace.timing.content_encoding}; "
            "proxies and clients hold compressed bytes back until a block fills, so events "
            "arrive late or in bursts",
            location="header:content-encoding",
            expected="no content-encoding (identity) on text/event-stream",
            received=trace.timing.content_encoding,
        )


def _silent_gap(trace: Trace, limits: Limits) -> Iterator[Finding]:
    start, length = trace.timing.longest_silence()
    if length > limits.idle_timeout_s:
        yield SILENT_GAP.finding(
            f"no byte arrived for {length:.2f} s (from {start:.2f} s after the request): "
            f"over the {limits.idle_timeout_s:g} s idle timeout, a client or load balancer "
            "cuts the stream; a gateway keeps it alive with `ping` events",
            location=f"t={start:.3f}s",
            expected=f"a byte (a ping) at least every {limits.idle_timeout_s:g} s",
            received=f"{length:.3f} s of silence",
        )


def _is_burst(trace: Trace, limits: Limits, *, judge_short: bool = False) -> bool:
    if len(trace.names) < limits.burst_min_events:
        return False
    if not judge_short and trace.timing.end_s < limits.burst_min_stream_s:
        return False  # a stream that was quick overall: a fast upstream, not buffering
    every = trace.times
    if every is None or (not judge_short and every[-1] < limits.burst_min_stream_s):
        return False
    events = trace.events
    if len(events) < limits.burst_min_events:
        return False
    if not judge_short and events[-1].at < limits.burst_min_stream_s:
        return False
    count, _ = burst(events, limits.burst_window_s)
    return count >= limits.burst_share * len(events)


def _buffered(trace: Trace, limits: Limits) -> Iterator[Finding]:
    if not _is_burst(trace, limits):
        return
    events = trace.events
    count, began = burst(events, limits.burst_window_s)
    yield BUFFERED.finding(
        f"{count} of {len(events)} events arrived within {limits.burst_window_s * 1000:g} ms, "
        f"{began:.2f} s after the request: the stream was held back and delivered at once "
        "(a buffering proxy, or compression), so clients see no tokens until the end",
        location=f"events[{trace.events.index(_at(events, began))}]",
        expected=f"events spread as they are produced (under {limits.burst_share:.0%} "
        f"in any {limits.burst_window_s * 1000:g} ms)",
        received=f"{count} events between {began:.3f} s and {began + limits.burst_window_s:.3f} s",
    )


def _at(events: tuple[Arrival, ...], when: float) -> Arrival:
    return next(a for a in events if a.at >= when)


def _first_event(client: Trace, upstream: Trace, limits: Limits) -> Iterator[Finding]:
    mine, theirs = client.first_event_s, upstream.first_event_s
    if mine is None or theirs is None:
        return
    added = mine - theirs
    if added > limits.first_event_added_s:
        yield FIRST_EVENT.finding(
            f"the first event reached the client {mine:.2f} s after the request; the upstream "
            f"sent it at {theirs:.2f} s: the gateway added {added:.2f} s",
            location="events[0]",
            expected=f"at most {limits.first_event_added_s:g} s added",
            received=f"{added:.3f} s added",
        )
