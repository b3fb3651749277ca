"""Server-sent events: an incremental decoder for ``text/event-stream`` bodies.

Implements the WHATWG HTML Standard, §9.2.6 "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
The decoder does no I/O and never raises for bad input: feed it bytes as they arrive,
take the events it returns, and call ``close()`` at the end of the body.

    decoder = SSEDecoder()
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    decoder.truncated     # bytes of an unfinished event were discarded at EOF
    decoder.invalid_utf8  # how many invalid UTF-8 sequences were replaced by U+FFFD

Memory is bounded by the largest single event: only the unfinished line and the fields
of the event being built are kept between calls.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass

_BOM = "\ufeff"


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

    __slots__ = (
        "_data",
        "_event",
        "_last_id",
        "_partial",
        "_raw",
        "_retry",
        "_skip_lf",
        "_started",
        "invalid_utf8",
        "truncated",
    )

    def __init__(self) -> None:
        self._raw = b""  # undecoded tail: an incomplete UTF-8 sequence (at most 3 bytes)
        self._partial = ""  # text of a line whose end has not arrived yet
        self._skip_lf = False  # the last chunk ended with CR: a leading LF belongs to it
        self._started = False  # the leading BOM check has been done
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._last_id: str | None = None
        self.invalid_utf8 = 0  # invalid UTF-8 sequences replaced by U+FFFD so far
        self.truncated = False  # set by close(): an unfinished event was discarded

    @property
    def pending(self) -> bool:
        """True while part of an event (a line, a field, undecoded bytes) is buffered."""
        return bool(self._partial or self._raw or self._data or self._event is not None)

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode a chunk and return the events it completes (possibly none)."""
        text = self._decode(data, final=False)
        return self._lines(text) if text else []

    def close(self) -> list[ServerSentEvent]:
        """End of stream. An event without its terminating blank line is discarded
        (§9.2.6: "Once the end of the file is reached, any pending data must be
        discarded"), so this returns no events; it sets ``truncated`` instead."""
        text = self._decode(b"", final=True)
        if text:
            self._partial += text
        self.truncated = self.pending
        self._partial = ""
        self._reset_event()
        return []

    # -- decoding ----------------------------------------------------------------

    def _decode(self, data: bytes, *, final: bool) -> str:
        raw = self._raw + data if self._raw else data
        try:
            text, used = codecs.utf_8_decode(raw, "strict", final)
        except UnicodeDecodeError:
            text, used = self._decode_replacing(raw, final)
        self._raw = raw[used:]
        if not self._started and text:
            self._started = True
            if text[0] == _BOM:  # §9.2.6: one leading BOM is ignored
                text = text[1:]
        return text

    def _decode_replacing(self, raw: bytes, final: bool) -> tuple[str, int]:
        # §9.2.6 decodes with "UTF-8 decode", which replaces errors with U+FFFD. Each
        # replaced sequence becomes one U+FFFD with "replace" and nothing with "ignore",
        # so the length difference counts them without mistaking a genuine U+FFFD.
        text, used = codecs.utf_8_decode(raw, "replace", final)
        self.invalid_utf8 += len(text) - len(codecs.utf_8_decode(raw, "ignore", final)[0])
        return text, used

    # -- lines -------------------------------------------------------------------

    def _lines(self, text: str) -> list[ServerSentEvent]:
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":  # the CRLF pair straddled two chunks
                text = text[1:]
        if self._partial:
            text = self._partial + text
        if "\r" in text:
            text = self._normalise_newlines(text)
        lines = text.split("\n")
        self._partial = lines.pop()
        return self._process(lines)

    def _normalise_newlines(self, text: str) -> str:
        # §9.2.6: a line ends with CRLF, LF or CR. A CR at the very end ends its line
        # now; remember it so that an LF starting the next chunk is not a second end.
        if text[-1] == "\r":
            self._skip_lf = True
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _process(self, lines: Iterable[str]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:  # blank line: dispatch the event
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._reset_event()
            elif line[0] != ":":  # lines starting with a colon are comments
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        # §9.2.6: split at the first colon; a single leading space of the value is
        # dropped; a line without a colon is a field name with an empty value.
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:  # an id containing NULL is ignored
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)  # retry is ignored unless it is all ASCII digits

    def _dispatch(self) -> ServerSentEvent:
        # Data lines are joined with LF (the spec's trailing LF is removed). An empty
        # event type buffer means "message"; we keep None so callers can tell.
        event = ServerSentEvent(
            self._event or None, "\n".join(self._data), self._last_id, self._retry
        )
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data = []
        self._event = None
        self._retry = None


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
