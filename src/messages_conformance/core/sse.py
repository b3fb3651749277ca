"""Server-sent events: an incremental decoder for ``text/event-stream`` bodies.

Implements the WHATWG HTML Standard, §9.2.6 "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
The decoder does no I/O and never raises for bad input: feed it bytes as they arrive,
take the events it returns, and call ``close()`` at the end of the body.

    decoder = SSEDecoder()
    for chunk in chunks:
        events.extend(decoder.feed(chunk))   # one ServerSentEvent per dispatched event
    events.extend(decoder.close())
    decoder.truncated     # bytes of an unfinished event were discarded at EOF
    decoder.invalid_utf8  # how many invalid UTF-8 sequences were replaced by U+FFFD

It works on bytes: a chunk is split at blank lines (``\\n\\n`` once line ends are LF) into one
``bytes`` block per event, in C, and only a block's own lines are looked at in Python. Callers
on a hot path take the blocks themselves (``feed_blocks``) and parse only those they cannot
read faster (``parse_block``); ``feed`` does both for every block. Memory is bounded by the
largest single event: only the unfinished event's bytes are kept between calls.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass

_BOM = b"\xef\xbb\xbf"
_BLANK = b"\n\n"  # a line end followed by an empty line: where events are dispatched


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    ``event`` is None when the stream gave no (or an empty) ``event:`` field; a browser
    would then dispatch it as ``"message"`` (see ``type``). ``id`` is the last event ID
    buffer at dispatch time (it persists across events, §9.2.6). ``retry`` is the
    reconnection time set while this event was being built, if any.
    """

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None

    @property
    def type(self) -> str:
        """The event type a browser dispatches: the ``event:`` field or ``"message"``."""
        return self.event or "message"


class SSEDecoder:
    """Incremental WHATWG event-stream parser: ``feed(bytes) -> events``, ``close()``."""

    __slots__ = ("_last_id", "_skip_lf", "_started", "_tail", "invalid_utf8", "truncated")

    def __init__(self) -> None:
        self._tail = bytearray()  # LF-normalised bytes after the last blank line
        self._skip_lf = False  # the last chunk ended with CR: a leading LF belongs to it
        self._started = False  # the leading BOM check has been done
        self._last_id: str | None = None
        self.invalid_utf8 = 0  # invalid UTF-8 sequences replaced by U+FFFD so far
        self.truncated = False  # set by close(): an unfinished event was discarded

    @property
    def pending(self) -> bool:
        """True while part of an event (a line, a data or event field) is buffered."""
        if not self._tail:
            return False
        *lines, last = bytes(self._tail).split(b"\n")
        return bool(last) or any(_sets_event_field(line) for line in lines)

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode a chunk and return the events it completes (possibly none)."""
        parse = self.parse_block
        return [event for block in self.feed_blocks(data) if (event := parse(block)) is not None]

    def feed_blocks(self, data: bytes) -> list[bytes]:
        """The raw bytes of every event block this chunk completes: the lines between two
        dispatch points, LF-normalised, without the blank line. Pass each to ``parse_block``
        (in order: ids persist across events) unless you can read it faster yourself."""
        if not data:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":  # the CRLF pair straddled two chunks
                data = data[1:]
        if b"\r" in data:
            data = self._normalise_newlines(data)
        tail = self._tail
        if tail or not self._started:
            searched = max(len(tail) - 1, 0)
            tail += data
            if not self._started and not self._strip_bom(tail):
                return []
            if tail.find(_BLANK, searched) < 0:
                return []
            data = bytes(tail)
        elif data.find(_BLANK) < 0:
            self._tail = bytearray(data)
            return []
        blocks = data.split(_BLANK)
        rest = blocks.pop()
        if not data.isascii():
            self._count_invalid(data[: len(data) - len(rest)])
        self._tail = bytearray(rest)
        return blocks

    def parse_block(self, block: bytes) -> ServerSentEvent | None:
        """The event one block dispatches (None when it sets no data), per §9.2.6."""
        text = block.decode("utf-8", "replace") if not block.isascii() else block.decode("ascii")
        data: list[str] = []
        event: str | None = None
        retry: int | None = None
        for line in text.split("\n"):
            if not line:  # a blank line inside a block: a dispatch point with nothing pending
                data, event, retry = [], None, None
                continue
            if line[0] == ":":  # lines starting with a colon are comments
                continue
            # §9.2.6: split at the first colon; a single leading space of the value is
            # dropped; a line without a colon is a field name with an empty value.
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\0" not in value:  # an id containing NULL is ignored
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                retry = int(value)  # retry is ignored unless it is all ASCII digits
        if not data:
            return None
        # Data lines are joined with LF (the spec's trailing LF is removed). An empty
        # event type buffer means "message"; we keep None so callers can tell.
        return ServerSentEvent(event or None, "\n".join(data), self._last_id, retry)

    def close(self) -> list[ServerSentEvent]:
        """End of stream. An event without its terminating blank line is discarded
        (§9.2.6: "Once the end of the file is reached, any pending data must be
        discarded"), so this returns no events; it sets ``truncated`` instead."""
        tail = bytes(self._tail)
        if tail and not tail.isascii():
            self._count_invalid(tail)
        self.truncated = self.pending
        self._tail = bytearray()
        return []

    # -- bytes -------------------------------------------------------------------

    def _normalise_newlines(self, data: bytes) -> bytes:
        # §9.2.6: a line ends with CRLF, LF or CR. A CR at the very end ends its line
        # now; remember it so that an LF starting the next chunk is not a second end.
        if data[-1:] == b"\r":
            self._skip_lf = True
        return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def _strip_bom(self, tail: bytearray) -> bool:
        """§9.2.6: one leading BOM is ignored. False while the first bytes may still be one."""
        if len(tail) < len(_BOM) and _BOM.startswith(tail):
            return False
        self._started = True
        if tail.startswith(_BOM):
            del tail[: len(_BOM)]
        return True

    def _count_invalid(self, raw: bytes) -> None:
        # §9.2.6 decodes with "UTF-8 decode", which replaces errors with U+FFFD. Each
        # replaced sequence becomes one U+FFFD with "replace" and nothing with "ignore",
        # so the length difference counts them without mistaking a genuine U+FFFD. The
        # blocks end at ASCII bytes, where a UTF-8 decoder's state always resets, so
        # counting block by block gives the count of the whole stream.
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            replaced = codecs.utf_8_decode(raw, "replace", True)[0]
            self.invalid_utf8 += len(replaced) - len(codecs.utf_8_decode(raw, "ignore", True)[0])


def _sets_event_field(line: bytes) -> bool:
    """A complete line that leaves an event half-built: a ``data`` or ``event`` field."""
    name = line.partition(b":")[0]
    return name in (b"data", b"event")


@dataclass(frozen=True, slots=True)
class DecodedStream:
    """A whole body decoded at once (see ``decode``)."""

    events: list[ServerSentEvent]
    truncated: bool
    invalid_utf8: int


def decode(chunks: bytes | Iterable[bytes]) -> DecodedStream:
    """Decode a complete body (one ``bytes`` or an iterable of chunks)."""
    decoder = SSEDecoder()
    parts = [chunks] if isinstance(chunks, bytes | bytearray) else chunks
    events = [event for chunk in parts for event in decoder.feed(bytes(chunk))]
    events.extend(decoder.close())
    return DecodedStream(events, decoder.truncated, decoder.invalid_utf8)
