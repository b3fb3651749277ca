"""A bare event-stream file, read piece by piece: validating a stream bigger than memory.

``open_stream(path)`` says whether a file is a bare ``text/event-stream`` body (the same
choice ``cassette.load_exchanges`` makes: an ``.sse``/``.txt`` file or text starting with an SSE
field, never YAML or JSON) from its first bytes only, and then hands out its bytes in chunks, so
``check_exchange(..., chunks=...)`` holds one chunk and the unfinished event, not the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.exchange import Exchange, Response

__all__ = ["CHUNK_BYTES", "StreamFile", "open_stream"]

CHUNK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
_HEAD_BYTES = 4096
_SSE_STARTS = (b"event:", b"data:", b":", b"id:", b"retry:")
_NOT_SSE_SUFFIXES = (".yaml", ".yml", ".json")
_SSE_SUFFIXES = (".sse", ".txt")


@dataclass(frozen=True, slots=True)
class StreamFile:
    """The file and the exchange it stands for (a 200 event stream; the body comes as chunks)."""

    path: Path

    @property
    def exchange(self) -> Exchange:
        headers = {"content-type": "text/event-stream"}
        return Exchange(response=Response(200, headers, b""), name=str(self.path))

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces of ``CHUNK_BYTES`` (one leading BOM dropped, as for any file)."""
        with self.path.open("rb") as stream:
            first = stream.read(CHUNK_BYTES)
            yield first.removeprefix(_BOM)
            while block := stream.read(CHUNK_BYTES):
                yield block


def open_stream(path: Path) -> StreamFile | None:
    """A ``StreamFile`` when ``path`` holds a bare event stream, else None (also when it cannot
    be read or is blank: ``load_exchanges`` then says why, in one line)."""
    suffix = path.suffix.lower()
    if suffix in _NOT_SSE_SUFFIXES:
        return None
    try:
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return None
    start = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    if not start or start.startswith((b"{", b"[")):
        return None
    return StreamFile(path) if suffix in _SSE_SUFFIXES or start.startswith(_SSE_STARTS) else None
