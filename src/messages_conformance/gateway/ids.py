"""Identifiers the gateway hands out: `msg_…`, `toolu_…`, `req_…` (facts §3, §10.5)."""

from __future__ import annotations

import hashlib
import os
import string

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_LENGTH = 24


def base62(data: bytes, length: int = ID_LENGTH) -> str:
    """`length` base62 digits drawn from `data` (enough bytes give a uniform-looking id)."""
    number = int.from_bytes(data, "big")
    digits = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def digest(*parts: bytes | str) -> bytes:
    """A stable hash of the parts, the seed of every deterministic id."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\x00")
    return sha.digest()


def request_id() -> str:
    """A fresh `req_` id for one HTTP exchange (random: ids are globally unique)."""
    return "req_" + base62(os.urandom(24))


def message_id(seed: bytes) -> str:
    """The `msg_` id of the reply to a request whose content hashes to `seed`."""
    return "msg_" + base62(digest(seed, "message"))


def tool_use_id(seed: bytes, index: int) -> str:
    """The `toolu_` id of the tool_use block at `index` of that reply."""
    return "toolu_" + base62(digest(seed, "tool_use", str(index)))
