"""How a stream goes out on the wire: each write (a beat) and the silence before it.

`--event-delay-ms` spaces the events. A request whose text carries the marker
`[mconf:pause=MS,ping=MS,every=MS]` (each part optional) is paced by it: `pause` is a long
thinking pause after `message_start` and its `ping`, kept alive by a `ping` event every `ping`
ms (default 1000), as the official API does while a model thinks (facts §6: `ping` may appear
anywhere); `every` spaces this stream's events instead of `--event-delay-ms`.

The faults of this module rewrite the beats: `buffer-stream` holds every event back and
sends them in one write at the end, `drop-pings` sends no `ping` (the pause goes silent),
`gzip-stream` gzip-encodes the event stream.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MARKER = re.compile(r"\[mconf:((?:(?:pause|ping|every)=\d+,?)+)\]")
DEFAULT_PING_MS = 1000
PING_FRAME = b'event: ping\ndata: {"type":"ping"}\n\n'


@dataclass(frozen=True, slots=True)
class Beat:
    """One write of the stream and the silence before it."""

    delay_s: float
    data: bytes


@dataclass(frozen=True, slots=True)
class Pacing:
    """What a request's marker asks for: a thinking pause of `pause_s` with a ping every
    `ping_s`, and `every_s` between events (None: the gateway's --event-delay-ms)."""

    pause_s: float = 0.0
    ping_s: float = DEFAULT_PING_MS / 1000
    every_s: float | None = None


def pacing_of(texts: Iterable[str]) -> Pacing | None:
    """The pacing a request's texts ask for with the marker, if any."""
    for text in texts:
        found = MARKER.search(text)
        if found:
            parts = dict(p.split("=") for p in found.group(1).split(",") if p)
            seconds = {k: int(v) / 1000 for k, v in parts.items()}
            ping = max(seconds.get("ping", DEFAULT_PING_MS / 1000), 0.001)
            return Pacing(seconds.get("pause", 0.0), ping, seconds.get("every"))
    return None


def request_texts(body: Mapping[str, Any]) -> Iterable[str]:
    """Texts of a request's messages (strings and text blocks), where a marker may be."""
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            yield content
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                yield block["text"]


def beats(frames: Iterable[str], delay_s: float, pacing: Pacing | None = None) -> list[Beat]:
    """The frames as beats: `delay_s` (or the marker's `every`) between two, and the
    marker's pause after the first ping."""
    if pacing is not None and pacing.every_s is not None:
        delay_s = pacing.every_s
    pause = pacing.pause_s if pacing is not None else 0.0
    out: list[Beat] = []
    carried = 0.0  # the part of a pause after its last ping, added to the next write
    for frame in frames:
        data = frame.encode()
        out.append(Beat((delay_s if out else 0.0) + carried, data))
        carried = 0.0
        if pacing is not None and pause > 0 and data.startswith(b"event: ping"):
            pings = int(pause / pacing.ping_s)
            out.extend(Beat(pacing.ping_s, PING_FRAME) for _ in range(pings))
            carried, pause = pause - pings * pacing.ping_s, 0.0
    return out


# --- faults -------------------------------------------------------------------------------


def buffered(stream: list[Beat]) -> list[Beat]:
    """Every write held back until the stream is complete, then sent at once."""
    return [Beat(sum(b.delay_s for b in stream), b"".join(b.data for b in stream))]


def without_pings(stream: list[Beat]) -> list[Beat]:
    """No ping is sent; the silence it broke joins the next write."""
    out: list[Beat] = []
    carried = 0.0
    for beat in stream:
        if beat.data.startswith(b"event: ping"):
            carried += beat.delay_s
            continue
        out.append(Beat(beat.delay_s + carried, beat.data))
        carried = 0.0
    return out


def gzipped(stream: list[Beat]) -> list[Beat]:
    """The stream gzip-encoded; each write flushed so the bytes still flow."""
    encoder = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    out = [
        Beat(b.delay_s, encoder.compress(b.data) + encoder.flush(zlib.Z_SYNC_FLUSH)) for b in stream
    ]
    return [*out, Beat(0.0, encoder.flush())]


def gzip_header(headers: dict[str, str], streaming: bool) -> dict[str, str]:
    return {**headers, "content-encoding": "gzip"} if streaming else headers
