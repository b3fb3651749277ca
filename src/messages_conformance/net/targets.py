"""Target profiles: where a gateway lives, how to authenticate, what it is known to do."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ..core.pacing import Limits
from . import disguises

EMBEDDED = "embedded"
EMBEDDED_PROXY = "embedded-proxy"  # the reference proxy in front of mconf's scripted upstream
LOCAL_DEFAULT_KEY = "mconf-local-key"
_AUTH_STYLES = ("x-api-key", "bearer")
_POLICIES = ("require", "default")
_KNOWN_KEYS = {
    "description",
    "base_url",
    "auth",
    "key_env",
    "models",
    "version_policy",
    "bearer",
    "features",
    "max_tokens",
    "max_request_bytes",
    "waivers",
    "timing",
    "upstream",
    "upstream_key_env",
    "model_aliases",
    "max_tokens_clamp",
    "override_builtin",
    "stub_upstream",
}
# optional scenario groups (the suites' mconf_feature marks); a profile or --feature lists them
FEATURES = (
    "prefill",
    "thinking",
    "images",
    "top_k",
    "error-statuses",
    "count-tokens",
    "models",
    "pacing-markers",
)
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
PROJECT_FILE = Path("mconf.toml")


class ProfileError(Exception):
    """A target profile or target option that cannot be used (one-line message)."""


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    base_url: str
    auth: str = "x-api-key"
    key_env: str | None = None
    models: tuple[str, ...] = ("claude-sonnet-4-6",)
    version_policy: Literal["require", "default"] = "require"
    bearer: bool = True
    features: frozenset[str] = frozenset()
    max_tokens: int = 64
    max_request_bytes: int = 32 * 1024 * 1024
    waivers: Mapping[str, str] = field(default_factory=dict)
    timing: Limits = field(default_factory=Limits)  # timing.* thresholds ([NAME.timing])
    description: str = ""
    embedded: bool = False  # the reference gateway, started by the suite itself
    upstream: str | None = None  # transit: HOST:PORT where mconf serves the gateway's upstream
    upstream_key_env: str | None = None  # transit: the key the gateway must present upstream
    model_aliases: Mapping[str, str] = field(default_factory=dict)  # transit: allowed rewrites
    max_tokens_clamp: int | None = None  # transit: max_tokens above it may arrive as it
    embedded_proxy: bool = False  # the reference proxy in front of the scripted upstream
    stub_upstream: bool = False  # model-behaviour rules are notices (core.attribution)
    source: str = "built-in"  # where the profile came from: built-in, ./mconf.toml, a file
    named: tuple[str, ...] = ()  # the `mconf run` options that named it (record_command)
    plain_pytest: bool = False  # named by a plain pytest run: record_command in --mconf-* form

    @property
    def model(self) -> str:
        return self.models[0]

    @property
    def loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return self.embedded or host in ("localhost", "::1") or host.startswith("127.")

    def key(self) -> str | None:
        """The key from the environment (never from a file); the local default for embedded."""
        value = os.environ.get(self.key_env) if self.key_env else None
        return value or (LOCAL_DEFAULT_KEY if self.embedded else None)

    def secrets(self) -> tuple[str, ...]:
        """What must never reach a file or the terminal: the key, the base URL's secrets."""
        key = self.key()
        return (*([key] if key else []), *disguises.url_secrets(self.base_url))

    def require_key(self, *, or_replay: bool = True) -> str:
        """The key, or a ProfileError naming the variable (``or_replay``: the command has a
        ``--mode replay`` to suggest instead)."""
        key = self.key()
        problem = disguises.key_problem(key) if key else None
        if problem:
            raise ProfileError(
                f"the key in ${self.key_env} {problem}; fix the variable "
                "(the key is not shown here, and not sent)"
            )
        if key:
            return key
        if not self.key_env:
            raise ProfileError(
                f"target {self.name!r} has no key variable; pass --api-key-env VAR naming "
                "the environment variable that holds its key"
            )
        raise ProfileError(
            f"target {self.name!r} needs its key in ${self.key_env}; export it "
            f"(e.g. `export {self.key_env}=...`)" + (" or use --mode replay" if or_replay else "")
        )

    def with_base_url(self, base_url: str) -> Target:
        return replace(self, base_url=base_url)

    def record_command(self, *more: str) -> str:
        """How to (re-)record this target's cassettes, named as the run named it (profile,
        --base-url, --label, transit upstream; ``more``: other options of the run, such as
        --cassette-dir): `` `mconf run --label gw-a ... --mode record` ``."""
        upstream = ["--upstream", self.upstream] if self.upstream else []
        if self.upstream and self.upstream_key_env:
            upstream += ["--upstream-key-env", self.upstream_key_env]
        words = [*self.named, *upstream, *more, "--mode", "record"]
        if self.plain_pytest:  # the plugin's options: --mconf-target, --mconf-mode, ...
            words = ["pytest", *(f"--mconf-{w[2:]}" if w.startswith("--") else w for w in words)]
        else:
            words = ["mconf", "run", *words]
        return f"`{shlex.join(words)}`"


def builtin_profiles() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath("targets.toml").read_text("utf-8")
    return tomllib.loads(text)


def read_profiles(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such targets file; check the --targets-file path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc}); fix the file") from None


def all_profiles(user_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """Built-in profiles, then ./mconf.toml or the given file. A file may redefine a built-in
    only with ``override_builtin = true`` in that profile: a project file must not quietly
    send a built-in target's key somewhere else."""
    profiles = builtin_profiles()
    path = user_file or (PROJECT_FILE if PROJECT_FILE.is_file() else None)
    if path is None:
        return profiles
    shown = f"./{path}" if path == PROJECT_FILE else str(path)
    for name, data in read_profiles(path).items():
        if name in profiles and not (isinstance(data, dict) and data.get("override_builtin")):
            raise ProfileError(
                f"{shown} redefines the built-in target {name!r}; rename it, or add "
                "`override_builtin = true` to that profile if that is meant"
            )
        profiles[name] = {**data, "_source": shown} if isinstance(data, dict) else data
    return profiles


def key_notice(target: Target) -> str | None:
    """A line to print when a profile from a file sends a built-in target's key to another
    host (or overrides a built-in): the user should know where their key goes."""
    if target.source == "built-in" or not target.key_env:
        return None
    host = urlsplit(target.base_url).hostname or target.base_url
    for name, data in builtin_profiles().items():
        builtin_host = urlsplit(str(data.get("base_url", ""))).hostname
        if data.get("key_env") == target.key_env and builtin_host != host:
            return (
                f"target {target.name!r} from {target.source} sends ${target.key_env} "
                f"(the key of built-in target {name!r}) to {host}"
            )
    return None


def resolve(
    name: str | None = None,
    *,
    base_url: str | None = None,
    key_env: str | None = None,
    model: str | None = None,
    user_file: Path | None = None,
    label: str | None = None,
    features: Iterable[str] = (),
) -> Target:
    """The target named on the command line, or a one-off one from --base-url.

    Its name (reports, matrix, cassette folder) is ``label``; by default the profile's name, or
    for --base-url the host, port and model (two gateways, or two models behind one, differ).
    ``features`` adds optional scenario groups to the profile's.
    """
    if name and base_url:
        raise ProfileError("--target and --base-url conflict; give one of them")
    if base_url:
        target = Target(name="custom", base_url=_check_url(base_url), key_env=key_env)
    else:
        target = from_mapping(name or "local", _lookup(name or "local", all_profiles(user_file)))
        if key_env:
            target = replace(target, key_env=key_env)
    if model:
        target = replace(target, models=(model, *target.models))
    named = _named(name, base_url, key_env, model, user_file, label, features)
    if base_url and not label:
        label = _label_from(base_url, target.model)
    return replace(
        target,
        name=_check_label(label) if label is not None else target.name,
        features=target.features | _check_features(features),
        named=named,
    )


def _named(
    name: str | None,
    base_url: str | None,
    key_env: str | None,
    model: str | None,
    user_file: Path | None,
    label: str | None,
    features: Iterable[str],
) -> tuple[str, ...]:
    """The options of ``resolve``'s arguments as `mconf run` takes them (a URL's secrets
    shown as markers, never as they are)."""
    given = [
        ("--target", name),
        ("--targets-file", str(user_file) if user_file else None),
        ("--base-url", disguises.shown_url(base_url) if base_url else None),
        ("--api-key-env", key_env),
        ("--model", model),
        ("--label", label),
        *(("--feature", feature) for feature in sorted(set(features))),
    ]
    return tuple(word for option, value in given if value for word in (option, value))


def _label_from(url: str, model: str) -> str:
    """``127.0.0.1-8081-claude-sonnet-4-6``: host, port and model (never the URL's userinfo)."""
    parts = urlsplit(url)
    host = f"{parts.hostname}-{parts.port}" if parts.port else str(parts.hostname)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{host}-{model}").strip("-.")[:80]


def _check_label(label: str) -> str:
    if not LABEL.fullmatch(label):
        raise ProfileError(
            f"--label {label!r} cannot name a folder; use letters, digits, '.', '_' and '-' "
            "(at most 80, starting with a letter or digit)"
        )
    return label


def _check_features(features: Iterable[str]) -> frozenset[str]:
    given = frozenset(features)
    unknown = sorted(given - set(FEATURES))
    if unknown:
        raise ProfileError(f"unknown feature {unknown[0]!r}; known features: {', '.join(FEATURES)}")
    return given


def profile(name: str) -> Target:
    """A profile by its name alone, for commands that take no --base-url (``mconf validate``)."""
    return from_mapping(name, _lookup(name, all_profiles(), or_base_url=False))


def _lookup(
    name: str, profiles: dict[str, dict[str, Any]], *, or_base_url: bool = True
) -> dict[str, Any]:
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        alternative = " (or use --base-url)" if or_base_url else f" (or add it to ./{PROJECT_FILE})"
        raise ProfileError(f"unknown target {name!r}; known targets: {known}{alternative}")
    return profiles[name]


def from_mapping(name: str, data: Mapping[str, Any]) -> Target:
    source = str(data.get("_source", "built-in"))
    data = {k: v for k, v in data.items() if k != "_source"}
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ProfileError(f"target {name!r}: unknown profile keys {sorted(unknown)}")
    auth = _choice(name, "auth", data.get("auth", "x-api-key"), _AUTH_STYLES)
    policy = _choice(name, "version_policy", data.get("version_policy", "require"), _POLICIES)
    base_url = str(data.get("base_url", ""))
    if base_url not in (EMBEDDED, EMBEDDED_PROXY):
        base_url = _check_url(base_url, name)
    models = tuple(data.get("models") or ("claude-sonnet-4-6",))
    return Target(
        name=name,
        base_url=base_url,
        auth=auth,
        key_env=data.get("key_env"),
        models=models,
        version_policy="default" if policy == "default" else "require",
        bearer=bool(data.get("bearer", True)),
        features=frozenset(data.get("features", ())),
        max_tokens=int(data.get("max_tokens", 64)),
        max_request_bytes=int(data.get("max_request_bytes", 32 * 1024 * 1024)),
        waivers=dict(data.get("waivers", {})),
        timing=_timing(name, data.get("timing", {})),
        description=str(data.get("description", "")),
        embedded=base_url in (EMBEDDED, EMBEDDED_PROXY),
        embedded_proxy=base_url == EMBEDDED_PROXY,
        upstream=str(data["upstream"]) if data.get("upstream") else None,
        upstream_key_env=data.get("upstream_key_env"),
        model_aliases={str(k): str(v) for k, v in dict(data.get("model_aliases", {})).items()},
        max_tokens_clamp=int(data["max_tokens_clamp"]) if data.get("max_tokens_clamp") else None,
        stub_upstream=_flag(name, "stub_upstream", data.get("stub_upstream", False)),
        source=source,
    )


def _timing(name: str, table: Any) -> Limits:
    if not isinstance(table, Mapping):
        raise ProfileError(f"target {name!r}: timing must be a table ([{name}.timing])")
    try:
        return Limits.from_mapping(table)
    except ValueError as exc:
        raise ProfileError(f"target {name!r}: {exc}") from None


def _flag(name: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ProfileError(f"target {name!r}: {key} must be true or false, not {value!r}")
    return value


def _choice(name: str, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ProfileError(
            f"target {name!r}: {key} must be one of {', '.join(allowed)}, not {value!r}"
        )
    return value


def _check_url(url: str, name: str = "--base-url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(
            f"{name}: {url!r} is not an http(s) URL; give e.g. https://api.example.com"
        )
    return url


def parse_upstream(value: str | None) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) of a transit upstream; one-line errors."""
    host, _, port = (value or "").rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ProfileError(
            f"--upstream {value!r} is not HOST:PORT; give e.g. 127.0.0.1:8790 (the address "
            "your gateway's Anthropic provider is pointed at)"
        )
    return host, int(port)
