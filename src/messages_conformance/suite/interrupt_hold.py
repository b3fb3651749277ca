"""Ctrl-C held while a finished case's report reaches every output.

A case's report goes to the casebook (report.json), junit.xml and the terminal in one chain of
``pytest_runtest_logreport`` hooks. A KeyboardInterrupt raised between two of them left the
case in one file and not the other (report.json said 5 cases, junit.xml held 4): on a loaded
machine a Ctrl-C is often handled where the process was preempted, in such CPU-bound
bookkeeping. So SIGINT waits until the chain is done, then interrupts the run as before.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Generator
from types import FrameType

import pytest

__all__ = ["InterruptHold"]


class InterruptHold:
    """pytest plugin (the process writing reports): each report is taken whole or not at all."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            return (yield)  # signal handlers belong to the main thread; it is not here
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):  # ignored, or not Python's: nothing to hold
            return (yield)
        caught: list[FrameType | None] = []
        signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
        try:
            return (yield)
        finally:
            signal.signal(signal.SIGINT, previous)
            if caught:
                previous(signal.SIGINT, caught[0])  # Python's own: KeyboardInterrupt, now
