"""A generated case as JSON and back: what ``*.cases.json`` files and the ``-j`` draw helper hold.

``to_record`` keeps what a case sends and what the checks read of it: its method, parameters,
headers (no credential), body (bytes as base64) and Schemathesis' metadata, as the call froze
it. ``from_record`` builds the case again with ``operation.Case`` and freezes that metadata, as
Schemathesis' own ``replay`` command does, so the checks see the same case.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

__all__ = ["from_record", "to_record"]

BYTES: Final = "$base64"
SECRET_HEADERS: Final = frozenset({"x-api-key", "authorization", "cookie", "proxy-authorization"})


def to_record(case: Any) -> dict[str, Any]:
    """A sent case as JSON-ready data (raises ValueError or TypeError if it is not JSON)."""
    meta = case.meta.to_dict() if case.meta is not None else None
    if meta is not None:
        meta["generation"]["time"] = 0.0  # how long drawing took: no part of the case
    record = {
        "method": case.method,
        "path_parameters": case.path_parameters,
        "headers": {k: v for k, v in case.headers.items() if k.lower() not in SECRET_HEADERS},
        "cookies": case.cookies,
        "query": case.query,
        "media_type": case.media_type,
        "multipart_content_types": case.multipart_content_types,
        "meta": meta,
    }
    body = case.body
    if isinstance(body, bytes):
        record["body"] = {BYTES: base64.b64encode(body).decode()}
    elif type(body).__name__ != "NotSet":
        record["body"] = body
    # A draw JSON would not give back exactly (a tuple, a non-string key, NaN): not kept, and
    # the file is not written. repr, not ==: 1 and 1.0 and True, and key order, count too.
    if repr(json.loads(json.dumps(record, allow_nan=False))) != repr(record):
        raise ValueError("a drawn value does not survive JSON as it is")
    return record


def from_record(operation: Any, record: dict[str, Any]) -> Any:
    """The case again, with its recorded metadata frozen (no revalidation: it was done)."""
    from schemathesis.core import NOT_SET
    from schemathesis.generation.meta import CaseMetadata

    body = record.get("body", NOT_SET)
    if isinstance(body, dict) and set(body) == {BYTES}:
        body = base64.b64decode(body[BYTES])
    meta = CaseMetadata.from_dict(record["meta"]) if record.get("meta") is not None else None
    case = operation.Case(
        method=record["method"],
        path_parameters=record["path_parameters"],
        headers=record["headers"],
        cookies=record["cookies"],
        query=record["query"],
        body=body,
        media_type=record["media_type"],
        multipart_content_types=record["multipart_content_types"],
        _meta=meta,
    )
    case.freeze_metadata()
    return case
