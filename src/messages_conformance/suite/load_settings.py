"""What every process of one load run agrees on, passed in ``$MCONF_LOAD`` (no secrets).

`mconf load` writes it for its Locust workers; a worker reads it back. Keys never travel in
it: each process reads the target's key from its own environment (``Target.key``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields

from ..core.pacing import Limits
from ..net.targets import Target
from .load_shapes import DEFAULT_MIX

__all__ = ["ENV", "LoadSettings"]

ENV = "MCONF_LOAD"


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """The target (without its key), the request mix, whether to check, the read timeout."""

    target: Target
    mix: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIX))
    checks: bool = True
    timeout_s: float = 30.0

    def to_json(self) -> str:
        target = {f.name: getattr(self.target, f.name) for f in fields(Target)}
        target |= {
            "models": list(self.target.models),
            "features": sorted(self.target.features),
            "waivers": dict(self.target.waivers),
            "timing": asdict(self.target.timing),
        }
        return json.dumps(
            {"target": target, "mix": self.mix, "checks": self.checks, "timeout_s": self.timeout_s}
        )

    @classmethod
    def from_json(cls, text: str) -> LoadSettings:
        data = json.loads(text)
        raw = data["target"]
        raw |= {"models": tuple(raw["models"]), "features": frozenset(raw["features"])}
        raw["named"] = tuple(raw.get("named", ()))
        raw["timing"] = Limits(**raw.get("timing", {}))
        target = Target(**raw)
        return cls(target, dict(data["mix"]), bool(data["checks"]), float(data["timeout_s"]))

    @classmethod
    def from_env(cls) -> LoadSettings:
        text = os.environ.get(ENV)
        if not text:
            raise RuntimeError(f"${ENV} is not set: start load runs with `mconf load`")
        return cls.from_json(text)
