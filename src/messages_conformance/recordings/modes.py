"""Record modes, as pytest-recording names them, and what each asks of vcrpy.

``mconf run --mode replay`` is ``none`` and ``--mode record`` is ``all``; ``--record-mode`` picks
the others. vcrpy's own modes carry the same names.

* ``none``: replay only; a request with no recording is an error saying how to record it.
* ``once``: a cassette that exists is replayed (and never rewritten); one that does not is
  recorded.
* ``new_episodes``: recorded requests are replayed, new ones are recorded into the cassette.
* ``all``: every request is sent and the cassette recorded afresh (unused recordings dropped).
"""

from __future__ import annotations

from typing import Final

__all__ = ["RECORD_MODES", "vcr_mode"]

RECORD_MODES: Final = ("all", "once", "new_episodes", "none")


def vcr_mode(mode: str, record_mode: str | None = None) -> str:
    """vcrpy's ``record_mode`` for an mconf ``mode`` (replay/record) and ``--record-mode``."""
    if mode == "replay":
        return "none"
    if mode != "record":
        raise ValueError(f"no cassettes in mode {mode!r}; cassette modes: replay, record")
    chosen = record_mode or "all"
    if chosen not in RECORD_MODES:
        raise ValueError(f"unknown record mode {chosen!r}; record modes: {', '.join(RECORD_MODES)}")
    return chosen
