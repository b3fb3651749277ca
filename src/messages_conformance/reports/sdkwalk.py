"""SDK walk: the installed official `anthropic` SDK as a second source of truth.

The SDK's own types describe every request parameter (GA and beta), beta name, content block,
delta, stop reason, error type and `ModelInfo` field the API has. Their JSON Schemas (pydantic
builds them from the TypedDicts and models) are compared with ours by the same shape walk as
`mconf spec-diff` (specdiff.py), and what *ours lacks* is kept: a property only the SDK names,
an enum value only the SDK lists, a whole schema only the SDK has. What we name and the SDK
does not is no finding (we also describe what real traffic shows).

One reviewed exclusion table (`spec/sdk-exclusions.toml`: schema, path, kind, reason) holds
what we leave out on purpose; an exclusion that no longer matches anything is reported too,
so the table cannot rot.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, get_args

from ..core.spec import Spec
from .differences import Difference
from .specdiff import TOP_LEVEL, compare_specs

__all__ = [
    "LACKS",
    "SdkUnavailable",
    "SdkWalk",
    "sdk_document",
    "walk_sdk",
]

EXCLUSIONS_FILE = "sdk-exclusions.toml"
REF = "#/components/schemas/{model}"
LACKS = frozenset({"property-only-upstream", "enum-only-upstream", "schema-only-upstream"})
# our schema -> the SDK type describing the same thing (module, attribute); beta types are the
# superset (GA + beta parameters and fields)
SDK_TYPES: Mapping[str, tuple[str, str]] = {
    "CreateMessageParams": (
        "anthropic.types.beta.message_create_params",
        "MessageCreateParamsBase",
    ),
    "Message": ("anthropic.types.beta", "BetaMessage"),
    "ErrorResponse": ("anthropic.types", "ErrorResponse"),
    "MessageCountTokensParams": (
        "anthropic.types.beta.message_count_tokens_params",
        "MessageCountTokensParams",
    ),
    "MessageTokensCount": ("anthropic.types.beta", "BetaMessageTokensCount"),
    "ModelInfo": ("anthropic.types", "ModelInfo"),
    "MessageStartEvent": ("anthropic.types.beta", "BetaRawMessageStartEvent"),
    "ContentBlockStartEvent": ("anthropic.types.beta", "BetaRawContentBlockStartEvent"),
    "ContentBlockDeltaEvent": ("anthropic.types.beta", "BetaRawContentBlockDeltaEvent"),
    "ContentBlockStopEvent": ("anthropic.types.beta", "BetaRawContentBlockStopEvent"),
    "MessageDeltaEvent": ("anthropic.types.beta", "BetaRawMessageDeltaEvent"),
    "MessageStopEvent": ("anthropic.types.beta", "BetaRawMessageStopEvent"),
}
BETAS = ("anthropic.types.anthropic_beta_param", "AnthropicBetaParam")
# parameters the SDK sends as headers or keeps to itself, not in the JSON body
NOT_BODY = frozenset({"betas", "user_profile_id", "workspace_id", "stream"})
EXTRA_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("count_tokens_request", "count-tokens-request.json", "MessageCountTokensParams"),
    ("token_count", "token-count.json", "MessageTokensCount"),
    ("model_info", "model-info.json", "ModelInfo"),
    ("betas", "betas.json", "AnthropicBetaParam"),
)


class SdkUnavailable(Exception):
    """The anthropic SDK (a dev dependency) is not installed: nothing to walk."""


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A reviewed gap: what we leave out on purpose, and why."""

    schema: str
    path: str  # the difference's path; `**` stands for any text
    kind: str
    reason: str

    def covers(self, difference: Difference) -> bool:
        return (
            self.schema == difference.schema
            and self.kind == difference.kind
            and re.fullmatch(_pattern(self.path), difference.path) is not None
        )


@dataclass(frozen=True, slots=True)
class SdkWalk:
    """What the walk found: gaps still open, gaps excluded, and exclusions matching nothing."""

    sdk_version: str
    missing: tuple[Difference, ...]
    excluded: tuple[Difference, ...]
    stale: tuple[Exclusion, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.stale


def sdk_document() -> tuple[dict[str, Any], str]:
    """An OpenAPI-shaped document of the installed SDK's types, and the SDK's version."""
    try:
        anthropic = import_module("anthropic")
        from pydantic import TypeAdapter
    except ImportError as exc:
        raise SdkUnavailable(
            "the anthropic SDK is not installed (pip install -e '.[dev]')"
        ) from exc
    schemas: dict[str, Any] = {}
    for name, (module, attribute) in SDK_TYPES.items():
        sdk_type = getattr(import_module(module), attribute)
        schema = TypeAdapter(sdk_type).json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    for name in NOT_BODY:
        schemas["CreateMessageParams"].get("properties", {}).pop(name, None)
        schemas["MessageCountTokensParams"].get("properties", {}).pop(name, None)
    schemas["AnthropicBetaParam"] = {"type": "string", "enum": sorted(_beta_names())}
    return {"openapi": "3.1.0", "components": {"schemas": schemas}}, str(anthropic.__version__)


def _beta_names() -> set[str]:
    union = getattr(import_module(BETAS[0]), BETAS[1])
    return {value for member in get_args(union) for value in get_args(member)}


def _pattern(path: str) -> str:
    return ".*".join(re.escape(part) for part in path.split("**"))


def load_exclusions(spec: Spec) -> list[Exclusion]:
    path = Path(spec.root) / EXCLUSIONS_FILE
    if not path.is_file():
        return []
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Exclusion(**entry) for entry in table.get("exclusion", [])]


def walk_sdk(spec: Spec | None = None) -> SdkWalk:
    """Compare ``spec`` (default: ours) with the installed SDK; raises SdkUnavailable."""
    spec = spec or Spec.load()
    document, version = sdk_document()
    pairs = tuple(p for p in (*TOP_LEVEL, *EXTRA_PAIRS) if p[1] in spec.schemas)
    found = [d for d in compare_specs(document, spec, top_level=pairs) if d.kind in LACKS]
    exclusions = load_exclusions(spec)
    missing = tuple(d for d in found if not any(e.covers(d) for e in exclusions))
    excluded = tuple(d for d in found if any(e.covers(d) for e in exclusions))
    stale = tuple(e for e in exclusions if not any(e.covers(d) for d in found))
    return SdkWalk(version, missing, excluded, stale)


def render_text(walk: SdkWalk, limit: int | None = None) -> str:
    """One line per open gap and per stale exclusion; a closing count line."""
    lines = [f"{d.schema} {d.path or '/'}: {_what(d)}" for d in walk.missing[:limit]]
    lines += [
        f"stale exclusion {e.schema} {e.path} ({e.kind}): matches nothing" for e in walk.stale
    ]
    lines.append(
        f"anthropic {walk.sdk_version}: {len(walk.missing)} gap(s) our schemas lack, "
        f"{len(walk.excluded)} excluded with a reason, {len(walk.stale)} stale exclusion(s)"
    )
    return "\n".join(lines) + "\n"


def _what(difference: Difference) -> str:
    if difference.kind == "enum-only-upstream":
        return f"the SDK allows {difference.upstream}, our closed enum does not"
    if difference.kind == "property-only-upstream":
        return "the SDK names this property, our schema does not"
    return "the SDK has this schema, we do not"


def as_rows(differences: Sequence[Difference]) -> list[dict[str, str | None]]:
    return [d.to_dict() for d in differences]
