"""Streams as they travel: delivered as produced, kept alive through a long pause, uncompressed.

The timing rules (`timing.*`) judge every answer's timing automatically; this suite provokes
what they look at. Only targets whose profile lists the feature `pacing-markers` (the reference
gateway: the request marker `[mconf:pause=MS,ping=MS,every=MS]`) pace a stream on demand.
"""

from __future__ import annotations

import pytest

from messages_conformance.suite.harness import Harness

# alone: with -j, no case runs ahead meanwhile (they share the CPU with the embedded gateway)
pytestmark = [pytest.mark.mconf_feature("pacing-markers"), pytest.mark.mconf_alone]

WORDS = " ".join(f"word{i}" for i in range(30))  # a 15-delta answer: 20 events in all


def test_stream_after_a_thinking_pause(mconf: Harness) -> None:
    """A long thinking pause (twice the profile's idle timeout) is kept alive by pings, and
    the answer after it arrives event by event, uncompressed."""
    idle_ms = mconf.target.timing.idle_timeout_s * 1000
    marker = f"[mconf:pause={int(idle_ms * 2)},ping={max(int(idle_ms / 4), 1)},every=20]"
    result = mconf.send(mconf.body(f"{marker} Repeat exactly: {WORDS}", stream=True))
    mconf.expect_success(result)
    mconf.expect("behaviour.echo", WORDS in result.text, "phrase not repeated", expected=WORDS)
