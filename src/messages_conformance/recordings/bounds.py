"""How big a recording may get once read: its file, its YAML once aliases expand, its bodies
once inflated. A small file can be a bomb (a 780-byte alias tree of 9**9 strings, a 1 MB gzip
body of 1 GiB, one gzip body aliased 200 times); each limit here turns one into a one-line
refusal naming the file, before the memory is spent.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import yaml

__all__ = ["Inflation", "TooBig", "check_size", "yaml_problem"]

MiB: Final = 1024 * 1024
MAX_FILE_BYTES: Final = 64 * MiB
MAX_INFLATED_BYTES: Final = 64 * MiB  # all bodies of one file, decompressed
MAX_YAML_NODES: Final = 1_000_000  # nodes once every alias is expanded
MAX_YAML_SCALAR_BYTES: Final = 256 * MiB  # scalar text once every alias is expanded
MAX_YAML_DEPTH: Final = 100  # cassettes are a few levels deep; bodies are strings
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class TooBig(ValueError):
    """A recording past one of the limits (the message says which, without the file name)."""


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise TooBig(
            f"{size / MiB:.0f} MiB is more than a recording may be ({MAX_FILE_BYTES // MiB} MiB); "
            "split it or record fewer exchanges per cassette"
        )


def yaml_problem(text: str) -> str | None:
    """Why ``text`` must not be loaded (aliases expanding past the limits, nesting too deep),
    from its parse events alone (libyaml: nothing is built); None when it may be."""
    nodes = size = 0
    subtrees: list[list[int]] = []  # [nodes, bytes] of each open collection
    anchors: dict[str, tuple[int, int]] = {}
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                add = anchors.get(str(event.anchor), (1, 0))
            elif isinstance(event, yaml.ScalarEvent):
                add = (1, len(event.value))
                if event.anchor:
                    anchors[str(event.anchor)] = add
            elif isinstance(event, _OPEN):
                subtrees.append([0, 0, event.anchor])  # type: ignore[list-item]
                if len(subtrees) > MAX_YAML_DEPTH:
                    return f"YAML nested deeper than {MAX_YAML_DEPTH} levels; refused"
                add = (1, 0)
            elif isinstance(event, _CLOSE):
                count, total, anchor = subtrees.pop()
                if anchor:
                    anchors[str(anchor)] = (count, total)
                continue
            else:
                continue
            nodes, size = nodes + add[0], size + add[1]
            for subtree in subtrees:
                subtree[0] += add[0]
                subtree[1] += add[1]
            if nodes > MAX_YAML_NODES or size > MAX_YAML_SCALAR_BYTES:
                return (
                    f"YAML aliases expand past {MAX_YAML_NODES:,} nodes or "
                    f"{MAX_YAML_SCALAR_BYTES // MiB} MiB of text; refused (a recording is plain "
                    "data: re-record it)"
                )
    except yaml.YAMLError:
        return None  # the loader says what is wrong, with the line
    return None


class Inflation:
    """Decompresses the bodies of one recording within one shared budget."""

    def __init__(self, limit: int = MAX_INFLATED_BYTES) -> None:
        self.limit = limit
        self.used = 0

    def inflate(self, body: bytes, coding: str) -> bytes:
        """``body`` decoded (gzip, x-gzip, deflate); TooBig past the limit; zlib.error,
        EOFError when corrupt or cut short."""
        wbits = zlib.MAX_WBITS | 32 if coding == "deflate" else zlib.MAX_WBITS | 16
        left = self.limit - self.used
        parts: list[bytes] = []
        data = body
        while data:
            member = zlib.decompressobj(wbits)
            out = member.decompress(data, left + 1)
            if len(out) > left or member.unconsumed_tail:
                raise TooBig(self._past(alone=self.used == 0))
            if not member.eof:
                raise EOFError("compressed body cut short")
            parts.append(out)
            left -= len(out)
            data = member.unused_data if coding != "deflate" else b""
        self.used = self.limit - left
        return b"".join(parts)

    def _past(self, *, alone: bool) -> str:
        limit = f"{self.limit // MiB} MiB"
        if alone:
            return f"the compressed body inflates past {limit}; refused (a decompression bomb?)"
        return f"the bodies inflate past {limit} in all; refused (a decompression bomb?)"
