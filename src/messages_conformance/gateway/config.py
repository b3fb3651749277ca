"""What a gateway instance accepts and how it misbehaves: one frozen value."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from .catalogue import MODELS, Catalogue

DEFAULT_API_KEY = "mconf-local-key"
API_KEY_ENV = "MCONF_GATEWAY_API_KEY"
DEFAULT_MODELS = tuple(entry.id for entry in MODELS)  # catalogue.py, the one model table
MAX_BODY_BYTES = 32 * 1024 * 1024  # facts §1.1: 32 MB request limit

VersionPolicy = Literal["require", "default"]
VERSION_POLICIES: tuple[VersionPolicy, ...] = ("require", "default")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Settings of one gateway; the defaults behave like the official API."""

    api_keys: tuple[str, ...] = ()  # empty: $MCONF_GATEWAY_API_KEY, else DEFAULT_API_KEY
    models: tuple[str, ...] = ()  # served in addition to DEFAULT_MODELS
    version_policy: VersionPolicy = "require"  # "default": missing version → 2023-06-01
    faults: tuple[str, ...] = ()  # names from faults.FAULTS
    latency_ms: float = 0.0  # added before answering each request
    max_body_bytes: int = MAX_BODY_BYTES
    event_delay_ms: float = 0.0  # pause between streamed events
    max_output_tokens: int | None = None  # one max_tokens ceiling for every model; None: the table

    def __post_init__(self) -> None:
        if self.version_policy not in VERSION_POLICIES:
            raise ValueError(f"version_policy must be one of {VERSION_POLICIES}")

    def accepted_keys(self) -> frozenset[str]:
        """The API keys this gateway accepts (config, else environment, else default)."""
        if self.api_keys:
            return frozenset(self.api_keys)
        return frozenset({os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY})

    def catalogue(self) -> Catalogue:
        """The served models: the table plus `models`."""
        return Catalogue(self.models)

    def ceiling(self, catalogue: Catalogue, model: object) -> int:
        """The max_tokens ceiling for `model` (the table's, unless one is configured)."""
        return self.max_output_tokens or catalogue.max_tokens(model)
