"""A response as it travelled: when its status line, each body chunk and its end arrived.

Values only: the transport measures (``net/wire``), cassettes store (``recordings/timings``),
the core derives event arrivals and judges them (``pacing``). Every time is in seconds since
the request started, from a monotonic clock; no clock is read here.

A chunk is ``(arrival, size)``: the bytes one read off the connection delivered, sized in the
decoded body (what ``Response.body`` holds), so every body offset has an arrival time. An
event arrived with the chunk that carried its terminating blank line (WHATWG HTML §9.2.6: an
event is dispatched at a blank line, if a ``data`` field was given since the last one).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise, repeat
from operator import add, itemgetter, sub
from typing import Any, Final, NamedTuple

__all__ = [
    "MEASURED",
    "RECORDED",
    "Arrival",
    "Chunk",
    "Timing",
    "Trace",
    "arrival_times",
    "arrivals",
    "event_ends",
]

_BOM: Final = b"\xef\xbb\xbf"
_BLANK_LINE: Final = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LF_BLANK: Final = re.compile(rb"\n\n")
_DATA_LINE: Final = re.compile(rb"(?:^|(?<=[\r\n])|(?<=\xef\xbb\xbf))data(?=[:\r\n])")
MEASURED: Final = "measured"  # timed on the wire in this run (live or record)
RECORDED: Final = "recorded"  # read from a cassette: the times of the run that recorded it
FORMAT: Final = 1  # version of the stored record (``Timing.to_record``)
_IDENTITY: Final = frozenset({"", "identity"})

Chunk = tuple[float, int]


@dataclass(frozen=True, slots=True)
class Timing:
    """One response's arrival times. ``sized`` is False when the body's encoding could not be
    followed chunk by chunk (e.g. ``br``): chunk times stay, their sizes are wire bytes."""

    status_s: float  # the status line and headers
    end_s: float  # the end of the body (or where reading stopped)
    chunks: tuple[Chunk, ...] = ()
    content_encoding: str = ""  # as the wire said; the exchange's headers show the body decoded
    source: str = MEASURED
    sized: bool = True

    @property
    def first_byte_s(self) -> float | None:
        """The first body byte, or None for an empty body."""
        return self.chunks[0][0] if self.chunks else None

    @property
    def ttfb_s(self) -> float:
        """Time to the first body byte; to the status line when the body is empty."""
        first = self.first_byte_s
        return self.status_s if first is None else first

    @property
    def compressed(self) -> bool:
        return self.content_encoding.strip().lower() not in _IDENTITY

    def silences(self) -> Iterator[tuple[float, float]]:
        """``(start, length)`` of each stretch without a byte: from the request to the status
        line, between two chunks, and from the last chunk to the end."""
        moments = [0.0, self.status_s, *(at for at, _ in self.chunks), self.end_s]
        for before, after in pairwise(moments):
            yield before, max(after - before, 0.0)

    def longest_silence(self, *, after_status: bool = True) -> tuple[float, float]:
        """The longest silence ``(start, length)``; by default from the status line on (the
        wait for the status line is the time to first byte, reported on its own)."""
        moments = [0.0, self.status_s] if not after_status else [self.status_s]
        moments += map(itemgetter(0), self.chunks)
        moments.append(self.end_s)
        gaps = list(map(sub, moments[1:], moments[:-1]))
        widest = max(gaps)
        return (moments[gaps.index(widest)], widest) if widest > 0 else (0.0, 0.0)

    def arrival_at(self, ends: Iterable[int]) -> list[float]:
        """The arrival of the byte before each offset in ``ends``; offsets past the recorded
        chunks (a timing of wire bytes, a body cut at a cap) arrive at the end."""
        if not self.sized or not self.chunks:
            return [self.end_s for _ in ends]
        times, sizes = zip(*self.chunks, strict=True)
        bounds = list(accumulate(sizes))
        lookup = (*times, self.end_s)
        return list(map(lookup.__getitem__, map(bisect_left, repeat(bounds), ends)))

    def as_recorded(self) -> Timing:
        return replace(self, source=RECORDED)

    def to_record(self) -> dict[str, Any]:
        """What a cassette stores beside the interaction (milliseconds kept to 0.001)."""
        record: dict[str, Any] = {
            "format": FORMAT,
            "status_s": _round(self.status_s),
            "end_s": _round(self.end_s),
            "chunks": [[_round(at), size] for at, size in self.chunks],
        }
        if self.compressed:
            record["content_encoding"] = self.content_encoding
        if not self.sized:
            record["sized"] = False
        return record

    @classmethod
    def from_record(cls, record: Any, *, source: str = RECORDED) -> Timing:
        """The inverse of ``to_record``; ValueError (one line) for anything else."""
        if not isinstance(record, Mapping):
            raise ValueError("timing is not a mapping")
        if record.get("format", FORMAT) != FORMAT:
            raise ValueError(f"timing format {record.get('format')!r} is not {FORMAT}")
        chunks = tuple(_chunk(item) for item in _list(record.get("chunks", [])))
        return cls(
            status_s=_seconds(record.get("status_s"), "status_s"),
            end_s=_seconds(record.get("end_s"), "end_s"),
            chunks=chunks,
            content_encoding=str(record.get("content_encoding", "")),
            source=source,
            sized=record.get("sized", True) is not False,
        )


class Arrival(NamedTuple):
    """One event and the time its terminating blank line arrived."""

    at: float
    name: str  # the event type (``event:`` field, else the data's ``type``, else "message")


@dataclass(frozen=True, slots=True)
class Trace:
    """What the pacing rules judge: a response's timing and, for a stream, its events' types
    and when each arrived (``times``; None when the chunks cannot place them). The times are
    worked out from ``body`` the first time something asks (a rule whose preconditions hold,
    a report): a stream that no rule needs them for costs nothing more."""

    timing: Timing
    streamed: bool = False
    names: tuple[str, ...] = ()
    body: bytes = field(default=b"", repr=False, compare=False)
    known: list[tuple[float, ...] | None] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def of(cls, timing: Timing, arrivals: Iterable[Arrival] | None) -> Trace:
        """The trace of a stream from its arrivals (None: they could not be placed)."""
        if arrivals is None:
            return cls(timing, streamed=True, known=[None])
        pairs = tuple(arrivals)
        times = tuple(a.at for a in pairs)
        return cls(timing, True, tuple(a.name for a in pairs), known=[times])

    @property
    def times(self) -> tuple[float, ...] | None:
        if not self.known:
            placed = arrival_times(self.timing, self.body, len(self.names))
            self.known.append(placed if self.streamed else None)
        return self.known[0]

    @property
    def arrivals(self) -> tuple[Arrival, ...] | None:
        if self.times is None:
            return None
        return tuple(map(Arrival, self.times, self.names))

    @property
    def events(self) -> tuple[Arrival, ...]:
        """Arrivals of the events that carry the answer (every one but ``ping``)."""
        pairs = zip(self.times or (), self.names, strict=False)
        return tuple(Arrival(at, name) for at, name in pairs if name != "ping")

    @property
    def first_event_s(self) -> float | None:
        pairs = zip(self.times or (), self.names, strict=False)
        return next((at for at, name in pairs if name != "ping"), None)

    def figures(self) -> dict[str, Any]:
        """The numbers a report shows for one case (seconds, rounded to 0.1 ms)."""
        first = self.first_event_s
        _, gap = self.timing.longest_silence()
        return {
            "source": self.timing.source,
            "ttfb_s": _round(self.timing.ttfb_s, 4),
            "first_event_s": None if first is None else _round(first, 4),
            "total_s": _round(self.timing.end_s, 4),
            "longest_gap_s": _round(gap, 4),
            "events": len(self.times or ()),
        }


def arrival_times(timing: Timing, body: bytes, count: int) -> tuple[float, ...] | None:
    """When each of a stream's ``count`` events (as the decoder dispatched them) arrived: each
    is matched to the blank line that dispatched it. None when the chunks cannot place the
    events (unsized) or the scan disagrees with the decoder about how many there are."""
    if not timing.sized:
        return None
    ends = _plain_ends(body)
    if len(ends) != count:  # not one event per blank line: scan field by field
        ends = event_ends(body)
        if len(ends) != count:
            return None
    return tuple(timing.arrival_at(ends))


def arrivals(timing: Timing, body: bytes, names: Sequence[str]) -> tuple[Arrival, ...] | None:
    """``arrival_times`` paired with the events' types."""
    times = arrival_times(timing, body, len(names))
    return None if times is None else tuple(map(Arrival, times, names))


def _plain_ends(body: bytes) -> list[int]:
    """Ends of the LF blank lines of a stream without CR or BOM (every one dispatches when
    there are as many as the decoder's events: each event needs a blank line of its own)."""
    if b"\r" in body or body.startswith(_BOM):
        return []
    pieces = body.split(b"\n\n")[:-1]
    return list(accumulate(map(add, map(len, pieces), repeat(2))))


def event_ends(body: bytes) -> list[int]:
    """Offsets just past the blank line of every event a WHATWG decoder dispatches (§9.2.6:
    lines end with CRLF, LF or CR; a blank line dispatches when a ``data`` line came since
    the previous one; comments and other fields alone dispatch nothing)."""
    start = len(_BOM) if body.startswith(_BOM) else 0
    ends: list[int] = []
    if b"\r" not in body:  # the common case: LF line ends; split at blank lines in C
        offset = start
        blocks = body[start:].split(b"\n\n")
        for block in blocks[:-1]:  # the last piece has no blank line after it
            offset += len(block) + 2
            if _has_data_line(block):
                ends.append(offset)
        return ends
    pos = start
    for blank in _BLANK_LINE.finditer(body, start):
        if _DATA_LINE.search(body, pos, blank.start() + 1):
            ends.append(blank.end())
        pos = blank.end()
    return ends


def _has_data_line(block: bytes) -> bool:
    """Whether an LF-separated block has a line whose field name is ``data``."""
    lines = b"\n" + block
    at = lines.find(b"\ndata")
    while at >= 0:
        if lines[at + 5 : at + 6] in (b"", b":", b"\n"):
            return True
        at = lines.find(b"\ndata", at + 1)
    return False


def _round(value: float, digits: int = 6) -> float:
    return round(value, digits)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("timing chunks is not a list")
    return value


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"timing {name} is not a number of seconds")
    if value < 0:
        raise ValueError(f"timing {name} is negative")
    return float(value)


def _chunk(item: Any) -> Chunk:
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise ValueError("a timing chunk is not a [seconds, bytes] pair")
    at, size = item
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("a timing chunk size is not a byte count")
    return _seconds(at, "chunk time"), size
