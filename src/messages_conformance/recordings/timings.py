"""Wire-faithful cassettes: each interaction keeps the timing its response travelled with.

A recorded response gets a ``timing`` mapping beside ``status``, ``headers`` and ``body``
(``core.timing.Timing.to_record``: status line, end, and every chunk as ``[seconds, bytes]``
as it came off the connection, plus the wire's ``content_encoding``). vcrpy keeps unknown
keys of a response as they are, so older readers still load these cassettes, and cassettes
without timings still replay: their exchanges carry no timing and the timing rules do not
apply to them.

``timed(cassette)`` hooks a vcrpy cassette, instance by instance: ``append`` (record mode,
after vcrpy read the body through ``net.wire.WireTransport``) stores the timing of the
request in flight, ``play_response`` (replay) hands the stored one back to it.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from ..core.timing import Timing
from ..net.wire import in_flight, replayed

__all__ = ["TIMING_KEY", "UnusableTiming", "stored_timing", "timed"]

TIMING_KEY: Final = "timing"


class UnusableTiming(Exception):
    """A cassette's timing cannot be read (one line naming the cassette and the fix)."""


def stored_timing(response: Any, where: str) -> Timing | None:
    """The timing a recorded response carries, or None; UnusableTiming when it is broken."""
    record = response.get(TIMING_KEY) if isinstance(response, dict) else None
    if record is None:
        return None
    try:
        return Timing.from_record(record)
    except ValueError as exc:
        raise UnusableTiming(
            f"{where}: unusable timing ({exc}); re-record it with `mconf run --mode record`"
        ) from None


def timed(cassette: Any) -> Any:
    """Make ``cassette`` (a ``vcr.cassette.Cassette``) store and replay timings."""
    append, play = cassette.append, cassette.play_response

    @functools.wraps(append)
    def append_timed(request: Any, response: dict[str, Any]) -> None:
        stopwatch = in_flight()
        timing = stopwatch.timing() if stopwatch is not None else None
        if timing is not None and TIMING_KEY not in response:
            response = {**response, TIMING_KEY: timing.to_record()}
        append(request, response)

    @functools.wraps(play)
    def play_timed(request: Any) -> Any:
        response = play(request)
        replayed(stored_timing(response, str(getattr(cassette, "path", "cassette"))))
        return response

    cassette.append = append_timed
    cassette.play_response = play_timed
    return cassette
