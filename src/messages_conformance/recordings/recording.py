"""vcrpy configuration: one cassette per test, redacted, matched on what a probe means.

* ``replay`` answers from cassettes (vcrpy ``record_mode="none"``) and never touches the
  network; ``record`` re-records every interaction of the test into a fresh cassette
  (``"all"`` + ``drop_unused_requests``). ``live`` uses no VCR at all.
* Secrets never reach a cassette: credential headers become a class marker
  (``REDACTED:target`` / ``REDACTED:wrong`` / ``REDACTED:bearer-target``), other secret-looking
  headers ``REDACTED:target``, and the given secret values are scrubbed from URIs and bodies.
  vcrpy runs ``before_record_request`` on live requests before it matches them (see
  ``Cassette._responses`` / ``can_play_response_for``) and again on every interaction it loads
  (``Cassette._load`` calls ``append``), so the filters are idempotent and the ``credential``
  matcher compares classes on both sides.
* A request with no recording raises ``RecordingMissing`` with a one-line fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import vcr  # type: ignore[import-untyped]
from vcr.errors import CannotOverwriteExistingCassetteException  # type: ignore[import-untyped]
from vcr.request import Request as VcrRequest  # type: ignore[import-untyped]
from vcr.stubs import VCRHTTPResponse  # type: ignore[import-untyped]
from vcr.util import read_body  # type: ignore[import-untyped]

from ..core.exchange import Exchange
from ..net import disguises
from ..net.errors import in_chain
from ..net.secrets import credential_marker, secret_header
from .matching import MATCHERS, credential_class
from .matching import header_text as _text
from .modes import vcr_mode
from .storage import AtomicPersister, UnreadableCassette, YamlSerializer, shown
from .timings import TIMING_KEY, timed

__all__ = [
    "MATCH_ON",
    "RECORD_MODES",
    "AtomicPersister",
    "RecordingMissing",
    "Redactor",
    "UnreadableCassette",
    "YamlSerializer",
    "credential_class",
    "install_read1_shim",
    "make_vcr",
    "replay_miss",
    "translate_replay_error",
    "use_cassette",
]

RECORD_MODES: Final = {"replay": "none", "record": "all"}
SERIALIZER: Final = "mconf-yaml"
RECORD_COMMAND: Final = "`mconf run --mode record`"  # the local target's; runs pass their own
MATCH_ON: Final = (
    "method",
    "path",  # scheme, host and port left out: the local gateway binds a random port
    "query",
    "json_body",
    "credential",
    "anthropic_version",
    "anthropic_beta",
)


class RecordingMissing(Exception):
    """Replay met a request that no recording answers (one line, naming how to record it)."""


class RecordingFailed(Exception):
    """A cassette could not be written (a full disk, a folder in the way): the case is lost."""


class CassetteRecorder:
    """Record mode: each exchange the harness received (scrubbed) goes into the test's cassette,
    as vcrpy would have recorded it; ``save`` writes it before the case is reported."""

    def __init__(self, cassette: Any) -> None:
        self.cassette = cassette

    def __call__(self, exchange: Exchange) -> None:
        request, response = exchange.request, exchange.response
        if request is None:
            return
        sent = VcrRequest(request.method, request.url, request.body, dict(request.headers))
        answer = {
            "status": {"code": response.status, "message": ""},
            "headers": {name: [value] for name, value in response.headers.items()},
            "body": {"string": response.body},
        }
        if response.timing is not None:  # as recordings/timings keeps it (wire-faithful)
            answer[TIMING_KEY] = response.timing.to_record()
        self.cassette.append(sent, answer)

    def save(self) -> None:
        """Write the cassette now; ``RecordingFailed`` (one line) when that is impossible."""
        try:
            self.cassette._save()
        except OSError as exc:
            self.cassette.dirty = False  # said once, here: not again at teardown
            where = shown(self.cassette._path)
            raise RecordingFailed(
                f"cannot save the recording {where}: {exc.strerror or exc}; "
                "free some space or pass a writable --cassette-dir"
            ) from None


# -- redaction ---------------------------------------------------------------------------------


class Redactor:
    """vcrpy filters hiding credentials and the given secret values; idempotent."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = tuple(s for s in secrets if s)

    def scrub(self, value: Any) -> Any:
        """``value`` (str or bytes) with every form of every secret replaced by
        ``REDACTED:target`` (as-is, JSON-escaped, URL-encoded, base64)."""
        if isinstance(value, str):
            return disguises.scrub(value, self.secrets)
        if isinstance(value, (bytes, bytearray)):
            return disguises.scrub_bytes(bytes(value), self.secrets)
        return value

    def header(self, name: str, value: Any) -> Any:
        text = _text(value)
        if secret_header(name, text):
            return credential_marker(name, text)
        scrubbed = self.scrub(text)
        return value if scrubbed == text else scrubbed

    def request(self, request: Any) -> Any:
        """``before_record_request``: vcrpy passes a deep copy, so editing in place is safe."""
        for name, value in list(request.headers.items()):
            request.headers[name] = self.header(name, value)
        request.uri = self.scrub(request.uri)
        body = read_body(request)
        if body is not None and self.scrub(body) != body:
            request.body = self.scrub(body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """``before_record_response``: vcrpy passes a deep copy."""
        headers = response.get("headers") or {}
        response["headers"] = {
            self.scrub(name): [self.header(name, v) for v in values]
            for name, values in headers.items()
        }
        body = response.get("body")
        if isinstance(body, dict) and "string" in body:
            body["string"] = self.scrub(body["string"])
        return response


# -- matching ----------------------------------------------------------------------------------


# -- the VCR -----------------------------------------------------------------------------------


def make_vcr(
    cassette_dir: Path,
    mode: str,
    *,
    secrets: Sequence[str] = (),
    record_mode: str | None = None,
) -> Any:
    """A ``vcr.VCR`` for ``mode`` (replay or record, ``record_mode`` as ``modes`` names them)
    storing ``<cassette_dir>/<path>.yaml``."""
    vcr_record_mode = vcr_mode(mode, record_mode)
    install_read1_shim()
    redactor = Redactor(secrets)
    config = vcr.VCR(
        cassette_library_dir=str(cassette_dir),
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
        record_mode=vcr_record_mode,
        drop_unused_requests=vcr_record_mode == "all",  # a fresh cassette per test
        match_on=MATCH_ON,
        before_record_request=redactor.request,
        before_record_response=redactor.response,
        decode_compressed_response=True,
        serializer=SERIALIZER,
    )
    config.register_serializer(SERIALIZER, YamlSerializer)
    config.register_persister(AtomicPersister)
    for name, matcher in MATCHERS.items():
        config.register_matcher(name, matcher)
    return config


@contextlib.contextmanager
def use_cassette(
    config: Any, path: str | Path, *, record_with: str = RECORD_COMMAND
) -> Iterator[Any]:
    """``config.use_cassette(path)``, turning a replay miss raised inside into RecordingMissing
    whose fix is ``record_with`` (the target's ``record_command()``).

    Only exceptions raised inside the ``with`` body are seen: a pytest fixture never is
    (pytest does not throw test failures into fixtures); use ``replay_miss`` in a hook there.
    """
    try:
        with config.use_cassette(str(path)) as cassette:
            yield timed(cassette)  # stores and replays each response's timing
    except Exception as exc:
        miss = replay_miss(exc)
        if miss is None:
            raise
        raise translate_replay_error(miss, miss.cassette.path, record_with) from exc


def replay_miss(exc: BaseException) -> Any:
    """The vcrpy replay miss behind ``exc`` (itself, a cause or a context), or None."""
    return in_chain(exc, CannotOverwriteExistingCassetteException)


def translate_replay_error(
    exc: Any, cassette_path: str | Path, record_with: str = RECORD_COMMAND
) -> RecordingMissing:
    """One line: what was sent, which cassette, what the closest recording differs in, the fix
    (``record_with``: the command that records the run's target, as the run named it)."""
    request = exc.failed_request
    query = f"?{request.parsed_uri.query}" if request and request.parsed_uri.query else ""
    what = f"{request.method} {request.path}{query}" if request else "a request"
    fix = f"record it with {record_with}"
    return RecordingMissing(f"no recording for {what} in {shown(cassette_path)}{_why(exc)}; {fix}")


def _why(exc: Any) -> str:
    reason = getattr(exc, "reason", "")
    if reason == "cassette_not_found":
        return " (no cassette file)"
    if reason == "already_played":
        return " (its recording was already played back)"
    if reason == "no_match" and exc.similar_requests:
        failed = exc.similar_requests[0][2]
        differs = ", ".join(f"{name}: {' '.join(str(msg).split())[:80]}" for name, msg in failed)
        return f" (closest recording differs in {differs})"
    return ""


# -- Schemathesis compatibility ----------------------------------------------------------------

_ORIGINAL_READ1: Final = VCRHTTPResponse.read1


def _read1(self: Any, amt: int = -1, /, *, decode_content: bool | None = None) -> bytes:
    # The stub holds the body already decoded (decode_compressed_response on replay; urllib3
    # decoded it while recording), so decode_content has nothing left to do.
    data: bytes = self._content.read1(amt)
    if not data and hasattr(self, "release_conn"):
        self.release_conn()  # as the stub's read() does at the end of the body
    return data


def install_read1_shim() -> None:
    """Let vcrpy's stub response take ``read1(n, decode_content=True)``.

    Schemathesis 4.32 reads event streams with ``response.raw.read1(64 KiB,
    decode_content=True)`` (``schemathesis/transport/requests.py`` ``_iter_event_stream``);
    under vcrpy ``raw`` is ``vcr.stubs.VCRHTTPResponse`` (recording too), whose ``read1``
    passes the keyword to ``BytesIO.read1`` -> TypeError. Idempotent.
    """
    VCRHTTPResponse.read1 = _read1
