"""What "the target could not be tested" means: httpx errors translated once, here, into
`TargetError` kinds (unreachable, timeout, TLS, protocol, budget spent)."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import httpx

from . import disguises

if TYPE_CHECKING:
    from .results import Sent

# -- errors ------------------------------------------------------------------------------------


class TargetError(Exception):
    """The target could not be tested (the CLI exits 2). One line: what, the URL, the cause.

    ``partial`` is set when the failure came after the status line: what had arrived (status,
    headers, the body so far) is an answer the harness can still judge.
    """

    what = "cannot test"
    partial: Sent | None = None

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(url, cause)
        self.url = disguises.shown_url(url)
        self.cause = " ".join(cause.split()) or "no detail"

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        return f"{self.what}{where}: {self.cause}"


class TargetUnreachable(TargetError):
    what = "cannot connect to"


class TargetTimeout(TargetError):
    what = "timed out waiting for"


class TargetTLSError(TargetError):
    what = "TLS failed with"


class TargetProtocolError(TargetError):
    what = "broken HTTP exchange with"


class BudgetExhausted(TargetError):
    what = "budget exhausted, not sending to"


# Checked in order: the first class that matches names the error (like httpx's own mapping).
_TRANSLATIONS: Final[tuple[tuple[type[httpx.HTTPError], type[TargetError]], ...]] = (
    (httpx.TimeoutException, TargetTimeout),
    (httpx.ConnectError, TargetUnreachable),
    (httpx.ProxyError, TargetUnreachable),
    (httpx.UnsupportedProtocol, TargetUnreachable),
    (httpx.NetworkError, TargetProtocolError),  # read/write/close failed: reset mid-exchange
    (httpx.ProtocolError, TargetProtocolError),  # malformed HTTP, body cut short
    (httpx.DecodingError, TargetProtocolError),
)


def translate_error(exc: httpx.HTTPError, url: str) -> TargetError:
    """Our error for an httpx error raised while talking to ``url``."""
    cause = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.ConnectError) and in_chain(exc, ssl.SSLError) is not None:
        return TargetTLSError(url, cause)
    for source, ours in _TRANSLATIONS:
        if isinstance(exc, source):
            return ours(url, cause)
    return TargetError(url, cause)


def in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` itself, or its cause or context (recursively), when it is a ``kind``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@contextlib.contextmanager
def translated(url: str) -> Iterator[None]:
    try:
        yield
    except httpx.HTTPError as exc:
        raise translate_error(exc, url) from exc
