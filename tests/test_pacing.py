"""core.pacing: the timing.* rules over traces, client side (warnings) and in transit (errors)."""

from __future__ import annotations

import pytest

from messages_conformance.core.findings import Severity
from messages_conformance.core.pacing import RULES, Limits, burst, check_timing, check_transit
from messages_conformance.core.timing import Arrival, Timing, Trace

NAMES = (
    ["message_start", "ping", "content_block_start"]
    + ["content_block_delta"] * 14
    + [
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
)


def paced(start: float = 0.05, step: float = 0.05, names: list[str] = NAMES) -> Trace:
    """A stream whose events arrive `step` apart, one chunk each."""
    times = [start + i * step for i in range(len(names))]
    timing = Timing(start, times[-1], tuple((t, 10) for t in times))
    return Trace.of(timing, (Arrival(t, n) for t, n in zip(times, names, strict=True)))


def rules(findings: object) -> list[str]:
    return [f.rule for f in findings]  # type: ignore[attr-defined]


def test_a_paced_stream_passes() -> None:
    assert rules(check_timing(paced())) == []


def test_every_rule_is_a_timing_rule_and_a_warning_by_default() -> None:
    assert {r.id.split(".")[0] for r in RULES} == {"timing"}
    assert {r.severity for r in RULES} == {Severity.WARNING}


def test_a_stream_arriving_in_one_burst_after_a_wait_is_buffered() -> None:
    findings = list(check_timing(paced(start=1.0, step=0.0001)))
    assert rules(findings) == ["timing.buffered-stream"]
    assert findings[0].severity is Severity.WARNING
    assert "19 of 19 events" in findings[0].message
    assert findings[0].location == "events[0]"


def test_a_fast_stream_is_not_judged_buffered() -> None:
    # a fast upstream delivers everything quickly: nobody can tell buffering from speed
    assert rules(check_timing(paced(start=0.01, step=0.0001))) == []


def test_a_short_stream_is_not_judged_buffered() -> None:
    assert rules(check_timing(paced(start=2.0, step=0.0001, names=NAMES[:8]))) == []


def test_early_events_then_a_burst_is_still_buffered() -> None:
    early = paced(start=0.05, step=0.0001, names=NAMES[:1])
    late = paced(start=1.5, step=0.0001, names=NAMES[1:])
    arrivals = (early.arrivals or ()) + (late.arrivals or ())
    timing = Timing(0.05, 1.6, tuple((a.at, 10) for a in arrivals))
    assert rules(check_timing(Trace.of(timing, arrivals))) == ["timing.buffered-stream"]


def test_pings_are_not_counted_as_the_answer() -> None:
    names = ["message_start"] + ["ping"] * 30 + ["message_stop"]
    assert rules(check_timing(paced(start=1.0, step=0.0001, names=names))) == []


def test_a_silence_over_the_idle_timeout_is_reported() -> None:
    timing = Timing(0.01, 3.0, ((0.02, 10), (2.5, 10), (3.0, 10)))
    findings = list(check_timing(Trace(timing, True, ()), Limits(idle_timeout_s=1.0)))
    assert rules(findings) == ["timing.silent-gap"]
    assert findings[0].received == "2.480 s of silence"
    assert findings[0].location == "t=0.020s"


def test_pings_within_the_idle_timeout_keep_a_stream_alive() -> None:
    times = [0.02 + 0.25 * i for i in range(12)]
    timing = Timing(0.01, times[-1], tuple((t, 10) for t in times))
    assert rules(check_timing(Trace(timing, True, ()), Limits(idle_timeout_s=1.0))) == []


def test_a_compressed_event_stream_is_reported() -> None:
    timing = Timing(0.0, 0.1, ((0.05, 10),), content_encoding="gzip")
    findings = list(check_timing(Trace(timing, True, ())))
    assert rules(findings) == ["timing.compressed-stream"]
    assert findings[0].location == "header:content-encoding"


def test_json_answers_and_missing_timings_are_not_judged() -> None:
    slow = Timing(0.0, 100.0, content_encoding="gzip")
    assert rules(check_timing(Trace(slow, False))) == []
    assert rules(check_timing(None)) == []


def test_first_event_is_not_judged_client_side() -> None:
    assert rules(check_timing(paced(start=5.0))) == []


def test_transit_turns_the_gateways_doing_into_errors() -> None:
    upstream = paced(start=0.05)
    client = paced(start=2.0, step=0.0001)
    findings = list(check_transit(client, upstream, Limits()))
    assert sorted(rules(findings)) == ["timing.buffered-stream", "timing.first-event"]
    assert {f.severity for f in findings} == {Severity.ERROR}
    first = next(f for f in findings if f.rule == "timing.first-event")
    assert "added 1.95 s" in first.message


def test_transit_clears_the_gateway_when_the_upstream_itself_burst() -> None:
    upstream = paced(start=0.05, step=0.0001)
    client = paced(start=0.9, step=0.0001)
    assert rules(check_transit(client, upstream, Limits(first_event_added_s=1.0))) == []


def test_transit_silent_gap_only_when_the_upstream_kept_the_line_alive() -> None:
    client = Trace(Timing(0.0, 3.0, ((0.01, 1), (3.0, 1))), True, ())
    pinged = Trace(Timing(0.0, 3.0, tuple((0.01 + 0.2 * i, 1) for i in range(15))), True, ())
    silent = Trace(Timing(0.0, 3.0, ((0.01, 1), (3.0, 1))), True, ())
    limits = Limits(idle_timeout_s=1.0)
    assert rules(check_transit(client, pinged, limits)) == ["timing.silent-gap"]
    assert rules(check_transit(client, silent, limits)) == []


def test_transit_compression_is_the_gateways_when_the_upstream_sent_identity() -> None:
    client = Trace(Timing(0.0, 0.1, ((0.05, 1),), "gzip"), True, ())
    upstream = Trace(Timing(0.0, 0.1, ((0.05, 1),)), True, ())
    assert rules(check_transit(client, upstream)) == ["timing.compressed-stream"]
    assert rules(check_transit(None, upstream)) == []


def test_burst_finds_the_densest_window() -> None:
    arrivals = tuple(Arrival(t, "x") for t in (0.0, 0.5, 0.51, 0.52, 0.9))
    assert burst(arrivals, 0.05) == (3, 0.5)
    assert burst((), 0.05) == (0, 0.0)


def test_limits_from_a_profile_table() -> None:
    limits = Limits.from_mapping({"idle_timeout_s": 10, "burst_min_events": 5.0})
    assert limits.idle_timeout_s == 10.0 and limits.burst_min_events == 5
    assert limits.burst_share == Limits().burst_share


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"idle": 1}, "unknown timing keys"),
        ({"idle_timeout_s": -1}, "non-negative"),
        ({"burst_share": True}, "number"),
    ],
)
def test_bad_limits_are_refused_in_one_line(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Limits.from_mapping(table)
