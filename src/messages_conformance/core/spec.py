"""The contract: load ``spec/`` (JSON Schemas + OpenAPI) and validate bodies and SSE payloads.

Pure: reads files under ``spec/`` once, never raises for bad data, yields ``Finding`` s.
Validation is on the hot path for streams, so each schema is compiled once with
jsonschema_rs and checked with ``is_valid`` first; detailed errors are computed only
for instances that fail.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

from . import bodies
from .findings import Finding, Rule, Severity

__all__ = [
    "EVENT_TYPES",
    "KINDS",
    "RULES",
    "SCHEMA_ERROR",
    "SCHEMA_EVENT",
    "SCHEMA_MESSAGE",
    "SCHEMA_MODELS",
    "SCHEMA_REQUEST",
    "SCHEMA_TOKEN_COUNT",
    "Spec",
    "spec_dir",
]

SCHEMA_REQUEST = Rule(
    "schema.request",
    Severity.ERROR,
    "A request answered 2xx matches CreateMessageParams (request.json; count_tokens: "
    "count-tokens-request.json). Only what the official API rejects is checked: the corpus of "
    "real traffic decides (e.g. top_k/top_p -1 were answered 200).",
)
SCHEMA_MESSAGE = Rule(
    "schema.message", Severity.ERROR, "A JSON 200 body matches the Message schema (message.json)."
)
SCHEMA_ERROR = Rule(
    "schema.error", Severity.ERROR, "An error body matches the error envelope (error.json)."
)
SCHEMA_EVENT = Rule(
    "schema.event",
    Severity.ERROR,
    "Each SSE event payload matches its schema (events/<type>.json).",
)
SCHEMA_TOKEN_COUNT = Rule(
    "schema.token-count",
    Severity.ERROR,
    "A 200 body of POST /v1/messages/count_tokens matches MessageTokensCount (token-count.json).",
)
SCHEMA_MODELS = Rule(
    "schema.models",
    Severity.ERROR,
    "A 200 body of GET /v1/models[/{id}] matches ModelList / ModelInfo "
    "(model-list.json, model-info.json).",
)
RULES: tuple[Rule, ...] = (
    SCHEMA_REQUEST,
    SCHEMA_MESSAGE,
    SCHEMA_ERROR,
    SCHEMA_EVENT,
    SCHEMA_TOKEN_COUNT,
    SCHEMA_MODELS,
)

# kind -> schema file (relative to spec/schemas); "event" is resolved per event type.
KINDS: Mapping[str, str] = {
    "request": "request.json",
    "message": "message.json",
    "error": "error.json",
    "count_tokens_request": "count-tokens-request.json",
    "token_count": "token-count.json",
    "model_list": "model-list.json",
    "model_info": "model-info.json",
}
EVENT_TYPES: tuple[str, ...] = (
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
)
_RULE_BY_KIND: Mapping[str, Rule] = {
    "request": SCHEMA_REQUEST,
    "message": SCHEMA_MESSAGE,
    "error": SCHEMA_ERROR,
    "event": SCHEMA_EVENT,
    "count_tokens_request": SCHEMA_REQUEST,
    "token_count": SCHEMA_TOKEN_COUNT,
    "model_list": SCHEMA_MODELS,
    "model_info": SCHEMA_MODELS,
}
OPENAPI_FILE = "messages.openapi.yaml"


def spec_dir(path: Path | None = None) -> Path:
    """The spec folder: ``path`` if given, else the checkout's ``spec/``, else the packaged copy."""
    if path is not None:
        return Path(path)
    here = Path(__file__).resolve().parents[1]  # the package folder
    checkout = here.parents[1] / "spec"  # src/messages_conformance -> <repo>/spec
    if (checkout / "schemas").is_dir():
        return checkout
    return here / "_spec"  # hatch force-include puts spec/ here in wheels


@dataclass(frozen=True, slots=True)
class Spec:
    """Loaded schemas with one compiled validator per kind and per event type."""

    root: Path
    schemas: Mapping[str, dict[str, Any]]  # relative file name -> schema
    validators: Mapping[str, jsonschema_rs.Validator]  # kind or "event:<type>" -> validator

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        """Load (and cache) the spec found by ``spec_dir(path)``."""
        return _load(spec_dir(path).resolve())

    @property
    def openapi_path(self) -> Path:
        return self.root / OPENAPI_FILE

    def schema(self, name: str) -> dict[str, Any]:
        """A schema by file name (``"message.json"``, ``"events/ping.json"``) or kind."""
        key = KINDS.get(name, name)
        if key not in self.schemas and f"{key}.json" in self.schemas:
            key = f"{key}.json"
        if key not in self.schemas:
            raise KeyError(f"unknown schema {name!r}; known: {', '.join(sorted(self.schemas))}")
        return self.schemas[key]

    def is_valid(self, kind: str, instance: Any) -> bool:
        """The fast path (no findings built): True when ``validate`` would yield nothing."""
        validator = self._validator_for(kind, instance)
        try:
            return validator is None or validator.is_valid(instance)
        except (ValueError, UnicodeEncodeError, RecursionError):  # validate() says why
            return False

    def validate(self, kind: str, instance: Any, *, location_prefix: str = "") -> Iterator[Finding]:
        """Findings for ``instance`` against the schema of ``kind`` (request/message/error/event).

        For ``"event"`` the schema is chosen by ``instance["type"]``; an unknown event type
        yields nothing (the stream checks report it as a notice).
        """
        rule = _RULE_BY_KIND.get(kind)
        if rule is None:
            raise KeyError(f"unknown kind {kind!r}; known: {', '.join(_RULE_BY_KIND)}")
        validator = self._validator_for(kind, instance)
        try:
            if validator is None or validator.is_valid(instance):
                return
            errors = list(validator.iter_errors(instance))
        except (ValueError, UnicodeEncodeError, RecursionError) as exc:
            unusable = bodies.unvalidatable(exc, location_prefix)
            if unusable is None:
                raise
            yield unusable
            return
        for error in errors:
            yield from self._findings(rule, error, location_prefix)

    def _validator_for(self, kind: str, instance: Any) -> jsonschema_rs.Validator | None:
        if kind != "event":
            return self.validators.get(kind)
        event_type = instance.get("type") if isinstance(instance, dict) else None
        if not isinstance(event_type, str):
            return self.validators["event:*"]  # not an object or no type: the generic shape
        return self.validators.get(f"event:{event_type}")

    def _findings(
        self, rule: Rule, error: jsonschema_rs.ValidationError, prefix: str
    ) -> Iterator[Finding]:
        where = prefix + _pointer(error.instance_path)
        keyword = error.kind.name
        detail = error.kind.as_dict()
        if keyword == "additionalProperties":
            for name in detail.get("unexpected", []):
                yield rule.finding(
                    f"unexpected property {name!r}",
                    location=f"{where}/{_escape(str(name))}",
                    expected="additionalProperties: false",
                    received=_child(error.instance, name),
                )
            return
        if keyword == "required":
            name = str(detail.get("property", ""))
            yield rule.finding(
                f"missing required property {name!r}",
                location=f"{where}/{_escape(name)}",
                expected=f"required: {name}",
                received="(absent)",
            )
            return
        yield rule.finding(
            self._message(error, keyword, detail),
            location=where,
            expected=_expected(keyword, detail),
            received=error.instance,
        )

    def _message(self, error: jsonschema_rs.ValidationError, keyword: str, detail: Any) -> str:
        if keyword == "enum":
            title = self._title_at(error.absolute_keyword_location)
            if title:
                return f"unknown {title} {_short(error.instance)}"
        return str(error.message)

    def _title_at(self, location: str | None) -> str | None:
        """The ``title`` of the subschema holding the failing keyword (names the union)."""
        if not location or "#" not in location:
            return None
        uri, _, pointer = location.partition("#")
        node: Any = self.schemas.get(uri.removeprefix(_BASE_URI))
        for part in pointer.strip("/").split("/")[:-1]:
            node = node.get(_unescape(part)) if isinstance(node, dict) else None
        title = node.get("title") if isinstance(node, dict) else None
        return title if isinstance(title, str) else None


_BASE_URI = "https://messages-conformance.dev/schemas/"


@functools.lru_cache(maxsize=8)
def _load(root: Path) -> Spec:
    schemas = _read_schemas(root / "schemas")
    registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas.values()])
    compile_ = functools.partial(_compile, registry=registry)
    # a spec folder may leave out the neighbouring endpoints (count_tokens, models): their
    # kinds then have no validator and validate to nothing
    validators = {kind: compile_(schemas[name]) for kind, name in KINDS.items() if name in schemas}
    for event_type in EVENT_TYPES:
        validators[f"event:{event_type}"] = compile_(schemas[f"events/{event_type}.json"])
    validators["event:*"] = compile_(_ANY_EVENT)
    return Spec(root=root, schemas=schemas, validators=validators)


# What every event payload is before its type is known (an object with a string `type`).
_ANY_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string"}},
}


def _compile(
    schema: dict[str, Any], *, registry: jsonschema_rs.Registry
) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)


def _read_schemas(folder: Path) -> dict[str, dict[str, Any]]:
    files = sorted(folder.rglob("*.json"))
    return {f.relative_to(folder).as_posix(): json.loads(f.read_text("utf-8")) for f in files}


def _expected(keyword: str, detail: Any) -> str:
    """The violated constraint in short form, e.g. ``maximum: 1`` or ``enum: [a, b]``."""
    if not isinstance(detail, dict) or not detail:
        return keyword
    if keyword == "enum":
        return "one of: " + ", ".join(_short(o) for o in detail.get("options", []))
    if keyword == "const":
        return f"const: {_short(detail.get('expected_value'))}"
    value = next(iter(detail.values()))
    if isinstance(value, list):
        return f"{keyword}: {', '.join(str(v) for v in value)}"
    return f"{keyword}: {value if isinstance(value, str) else json.dumps(value)}"


def _child(instance: Any, name: str) -> Any:
    return instance.get(name) if isinstance(instance, dict) else None


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def _pointer(path: list[str | int]) -> str:
    """RFC 6901 JSON pointer for an instance path."""
    return "".join(f"/{_escape(str(p))}" for p in path)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
