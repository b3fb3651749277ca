"""Recorded exchanges from files: vcrpy cassettes, corpus exchanges and bare response bodies.

An edge module: it reads files and raises ``UnusableInput`` (one line: the file, the problem,
the fix) for anything it cannot turn into ``Exchange`` values. YAML and JSON errors are
translated here, once; no traceback from a parser reaches the user.

Accepted inputs, chosen by content:

* a vcrpy cassette (YAML as vcrpy 9 / pytest-recording write it, or vcrpy's JSON serializer):
  ``interactions: [{request: {method, uri, headers, body}, response: {status, headers, body}}]``.
  Header values are lists; bodies are ``str``, ``!!binary`` bytes (decompressed per
  ``content-encoding``) or pydantic-ai's ``parsed_body``. One ``Exchange`` per interaction,
  named ``<path>#<index>`` (0-based, as vcrpy counts). A response's ``timing`` (wire-faithful
  cassettes, ``recordings/timings``) becomes the exchange's timing.
* a corpus exchange (``{"request": {...}, "response": {"status", "headers", "body", "sse"}}``).
* a bare response body: a ``.json`` Message or error envelope, or an event stream (``.sse`` /
  ``.txt`` or text starting with an SSE field). There is no request; a Message or stream gets
  status 200. An error envelope gets status **0, meaning unknown**: the file does not say which
  status carried it, so status-pairing rules skip it. The only header is the content-type the
  body implies.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..core.exchange import Exchange, Request, Response
from ..core.timing import Timing
from .bounds import Inflation, TooBig, check_size, yaml_problem
from .timings import UnusableTiming, stored_timing

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

__all__ = ["UnusableInput", "load_exchanges"]

RECORD_HINT = "record one with `mconf run --mode record`"
RERECORD_HINT = "re-record it with `mconf run --mode record`"
_YAML_SUFFIXES = (".yaml", ".yml")
_SSE_STARTS = (b"event:", b"data:", b":", b"id:", b"retry:")
_SSE_SUFFIXES = (".sse", ".txt")
_ISTR_TAG = "tag:yaml.org,2002:python/object/apply:multidict._multidict.istr"


class UnusableInput(Exception):
    """A file that cannot be read as recorded exchanges; the message is one line with the fix."""


class _UnsafeTag(Exception):
    """A YAML tag that would construct a Python object."""


class _CassetteLoader(_SafeLoader):
    """SafeLoader (libyaml when available) plus data-only handling of ``!!python/`` tags."""


def _istr(loader: _SafeLoader, node: yaml.Node) -> str:
    # ddapm-test-agent cassettes key headers by multidict.istr: a str subclass; keep the text.
    args = loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else []
    return str(args[0]) if args else ""


def _refuse(loader: _SafeLoader, suffix: str, node: yaml.Node) -> Any:
    raise _UnsafeTag(node.tag)


_CassetteLoader.add_constructor(_ISTR_TAG, _istr)
_CassetteLoader.add_multi_constructor("tag:yaml.org,2002:python/", _refuse)


RECORDING_SUFFIXES = (".yaml", ".yml", ".json", ".sse")
# files mconf writes beside the cassettes that are not recordings (suites/test_generated.py):
# the generators' versions, and the generated cases a cassette answers (suite/drawn_cases.py)
TOOL_FILES = frozenset({"generators.json"})
TOOL_SUFFIXES = (".cases.json",)


def recording_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each file given, and the recordings under each folder (sorted; the
    tool's own files, such as ``generators.json``, left out)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        inside = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in RECORDING_SUFFIXES
            and p.name not in TOOL_FILES
            and not p.name.endswith(TOOL_SUFFIXES)
            and p.is_file()
        )
        if not inside:
            raise UnusableInput(f"{path}: no recordings (*.yaml, *.json, *.sse) in this folder")
        found.extend(inside)
    return found


def load_exchanges(path: Path) -> list[Exchange]:
    """Every exchange recorded in ``path``; raises ``UnusableInput`` for anything else."""
    data = _read(path)
    if _looks_like_sse(path, data):
        return [_bare_stream(path, data)]
    suffix = path.suffix.lower()
    if suffix not in _YAML_SUFFIXES and (suffix == ".json" or data.lstrip()[:1] in (b"{", b"[")):
        return _from_json(path, _parse_json(path, data), data)
    return _from_cassette(path, _parse_yaml(path, data))


_UNCHECKABLE = object()  # JSON text too deep or with too large a number to parse: checked raw


# --- reading and parsing --------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        check_size(path.stat().st_size)
        data = path.read_bytes()
    except TooBig as exc:
        raise UnusableInput(f"{path}: {exc}") from None
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot read the file ({exc.strerror})") from None
    if not data.strip():
        raise UnusableInput(
            f"{path}: empty file; give a vcrpy cassette, a corpus exchange or a response body"
        )
    return data.removeprefix(b"\xef\xbb\xbf")


def _looks_like_sse(path: Path, data: bytes) -> bool:
    suffix, start = path.suffix.lower(), data.lstrip(b" \t\r\n")
    if suffix in (*_YAML_SUFFIXES, ".json") or start.startswith((b"{", b"[")):
        return False
    return suffix in _SSE_SUFFIXES or start.startswith(_SSE_STARTS)


def _parse_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise UnusableInput(f"{path}: not UTF-8 text; save the body as UTF-8 JSON") from None
    except RecursionError:
        return _UNCHECKABLE  # a body nested this deep is a finding, not a broken file
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise UnusableInput(
            f"{path}: not valid JSON ({exc.msg}, {where}); fix or re-record it"
        ) from None
    except ValueError:  # a number past Python's 4300-digit limit: a finding too
        return _UNCHECKABLE


def _parse_yaml(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
        problem = yaml_problem(text)
        if problem:
            raise UnusableInput(f"{path}: {problem}")
        return yaml.load(text, Loader=_CassetteLoader)  # a SafeLoader subclass
    except UnicodeDecodeError:
        raise UnusableInput(f"{path}: not UTF-8 text; a vcrpy cassette is UTF-8 YAML") from None
    except RecursionError:
        raise UnusableInput(f"{path}: YAML nested too deeply to read") from None
    except _UnsafeTag as exc:
        tag = str(exc).replace("tag:yaml.org,2002:", "!!")
        raise UnusableInput(
            f"{path}: YAML tag {tag} would build a Python object, refused; "
            "re-record the cassette with vcrpy's default YAML serializer"
        ) from None
    except yaml.YAMLError as exc:
        raise UnusableInput(
            f"{path}: not valid YAML ({_yaml_problem(exc)}); {RERECORD_HINT}"
        ) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        return f"{exc.problem or exc.context or 'syntax error'}{line}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --- JSON inputs ----------------------------------------------------------------------------


def _from_json(path: Path, doc: Any, data: bytes) -> list[Exchange]:
    if doc is _UNCHECKABLE:  # the checks say what is wrong with it
        headers = {"content-type": "application/json"}
        return [Exchange(response=Response(0, headers, data.strip()), name=str(path))]
    if isinstance(doc, dict) and "interactions" in doc:
        return _from_cassette(path, doc)  # vcrpy's JSON serializer
    if isinstance(doc, dict) and "request" in doc and "response" in doc:
        return [_corpus_exchange(path, doc)]
    if isinstance(doc, dict) and doc.get("type") in ("message", "error"):
        return [_bare_json(path, doc, data)]
    raise UnusableInput(
        f"{path}: JSON is not a Message, an error envelope, a corpus exchange or a vcrpy "
        f"cassette; {RECORD_HINT}"
    )


def _corpus_exchange(path: Path, doc: dict[str, Any]) -> Exchange:
    request, response = doc["request"], doc["response"]
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise UnusableInput(f"{path}: 'request' and 'response' must be objects (corpus format)")
    if not isinstance(response.get("status"), int):
        raise UnusableInput(f"{path}: response.status is missing or not an integer (corpus format)")
    return Exchange(
        request=Request(
            method=str(request.get("method", "POST")),
            url=str(request.get("url", "")),
            headers=_headers(request.get("headers")),
            body=_json_bytes(request.get("body")),
        ),
        response=Response(
            status=response["status"],
            headers=_headers(response.get("headers")),
            body=_corpus_body(response),
        ),
        name=str(path),
    )


def _corpus_body(response: dict[str, Any]) -> bytes:
    """The body: an event stream (``sse``), the raw text as sent (``text``: JSON that does
    not parse, or parses badly), else the parsed JSON ``body``."""
    for key in ("sse", "text"):
        value = response.get(key)
        if isinstance(value, str):
            return value.encode("utf-8")
    return _json_bytes(response.get("body"))


def _json_bytes(body: Any) -> bytes:
    """A parsed JSON body back to bytes; a string stays as sent, null is no body."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _bare_json(path: Path, doc: dict[str, Any], data: bytes) -> Exchange:
    status = 200 if doc.get("type") == "message" else 0  # 0: the file does not say
    headers = {"content-type": "application/json"}
    return Exchange(response=Response(status, headers, data.strip()), name=str(path))


def _bare_stream(path: Path, data: bytes) -> Exchange:
    headers = {"content-type": "text/event-stream"}
    return Exchange(response=Response(200, headers, data), name=str(path))


# --- vcrpy cassettes ------------------------------------------------------------------------


def _from_cassette(path: Path, doc: Any) -> list[Exchange]:
    interactions = doc.get("interactions") if isinstance(doc, dict) else None
    if not isinstance(interactions, list):
        raise UnusableInput(f"{path}: not a vcrpy cassette (no 'interactions' list); {RECORD_HINT}")
    if not interactions:
        raise UnusableInput(f"{path}: the cassette has no interactions; {RECORD_HINT}")
    budget = Inflation()
    return [_interaction(f"{path}#{i}", item, budget) for i, item in enumerate(interactions)]


def _interaction(name: str, item: Any, budget: Inflation) -> Exchange:
    request, response = _part(name, item, "request"), _part(name, item, "response")
    return Exchange(
        request=_vcr_request(name, request, budget),
        response=_vcr_response(name, response, budget),
        name=name,
    )


def _part(name: str, item: Any, key: str) -> dict[str, Any]:
    part = item.get(key) if isinstance(item, dict) else None
    if not isinstance(part, dict):
        raise UnusableInput(f"{name}: interaction has no '{key}' mapping; {RERECORD_HINT}")
    return part


def _vcr_request(name: str, request: dict[str, Any], budget: Inflation) -> Request:
    headers = _headers(request.get("headers"))
    if "parsed_body" in request:  # pydantic-ai's serializer stores JSON bodies parsed
        body = _json_bytes(request["parsed_body"])
    else:
        body = _decoded(name, _raw_body(request.get("body")), headers, budget)
    return Request(str(request.get("method", "POST")), str(request.get("uri", "")), headers, body)


def _vcr_response(name: str, response: dict[str, Any], budget: Inflation) -> Response:
    status = _status(name, response.get("status"))
    headers = _headers(response.get("headers"))
    if "parsed_body" in response:
        return Response(status, headers, _json_bytes(response["parsed_body"]))
    raw = response.get("body")
    body = _raw_body(raw.get("string") if isinstance(raw, dict) else raw)
    return Response(status, headers, _decoded(name, body, headers, budget), _timing(name, response))


def _timing(name: str, response: dict[str, Any]) -> Timing | None:
    """The timing a wire-faithful cassette keeps with the response (recordings/timings)."""
    try:
        return stored_timing(response, name)
    except UnusableTiming as exc:
        raise UnusableInput(str(exc)) from None


def _status(name: str, status: Any) -> int:
    code = status.get("code") if isinstance(status, dict) else status
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    raise UnusableInput(f"{name}: response has no status code; {RERECORD_HINT}")


def _raw_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return _json_bytes(body)  # some serializers keep JSON bodies as mappings


def _decoded(name: str, body: bytes, headers: dict[str, str], budget: Inflation) -> bytes:
    """Undo ``content-encoding`` (gzip, deflate) in place of the client; drops the header."""
    coding = headers.get("content-encoding", "").strip().lower()
    if not coding or coding == "identity" or not body:
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise UnusableInput(
            f"{name}: body is {coding}-encoded, which cannot be decoded here; "
            "re-record with vcrpy's decode_compressed_response=True"
        )
    if coding != "deflate" and not body.startswith(b"\x1f\x8b"):
        headers.pop("content-encoding")
        return body  # the recorder already decoded it and left the header behind
    headers.pop("content-encoding")
    return _decompress(name, body, coding, budget)


def _decompress(name: str, body: bytes, coding: str, budget: Inflation) -> bytes:
    try:
        return budget.inflate(body, "deflate" if coding == "deflate" else "gzip")
    except TooBig as exc:
        raise UnusableInput(f"{name}: {exc}") from None
    except (OSError, EOFError, zlib.error):
        raise UnusableInput(
            f"{name}: the {coding} body is corrupt or truncated; {RERECORD_HINT}"
        ) from None


def _headers(raw: Any) -> dict[str, str]:
    """Header names in lower case; vcrpy's value lists joined as HTTP folds them."""
    if not isinstance(raw, Mapping):
        return {}
    return {
        str(key).lower(): _header_value(value) for key, value in raw.items() if value is not None
    }


def _header_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
