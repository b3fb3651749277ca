from __future__ import annotations

from pathlib import Path

import pytest

from messages_conformance.net import targets
from messages_conformance.net.targets import ProfileError


def test_builtin_profiles_resolve() -> None:
    for name in ("local", "ccapi", "anthropic"):
        assert targets.resolve(name).name == name


def test_local_is_embedded_loopback_with_default_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    local = targets.resolve(None)
    assert local.embedded and local.loopback
    assert local.key() == targets.LOCAL_DEFAULT_KEY


def test_ccapi_profile_states_its_documented_deviations() -> None:
    ccapi = targets.resolve("ccapi")
    assert ccapi.version_policy == "default"
    assert not ccapi.bearer
    assert ccapi.key_env == "CCAPI_API_KEY"
    assert "message.stop-sequence-key-missing" in ccapi.waivers


def test_key_comes_from_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCAPI_API_KEY", raising=False)
    with pytest.raises(ProfileError, match=r"\$CCAPI_API_KEY"):
        targets.resolve("ccapi").require_key()
    monkeypatch.setenv("CCAPI_API_KEY", "sk-test")
    assert targets.resolve("ccapi").require_key() == "sk-test"


def test_unknown_target_lists_known_ones() -> None:
    with pytest.raises(ProfileError, match="known targets: anthropic, ccapi, local"):
        targets.resolve("nope")


def test_base_url_one_off_target() -> None:
    target = targets.resolve(base_url="https://gw.example.com//", key_env="GW_KEY", model="m-1")
    assert target.name == "gw.example.com-m-1"  # host + model: the label by default
    assert target.model == "m-1" and target.key_env == "GW_KEY"
    assert not target.loopback


def test_base_url_targets_differ_by_port_and_model_and_take_a_label() -> None:
    one = targets.resolve(base_url="http://127.0.0.1:8081")
    two = targets.resolve(base_url="http://127.0.0.1:8082", model="claude-opus-4-6")
    assert one.name == "127.0.0.1-8081-claude-sonnet-4-6"
    assert two.name == "127.0.0.1-8082-claude-opus-4-6"
    named = targets.resolve(base_url="http://127.0.0.1:8081", label="litellm-proxy")
    assert named.name == "litellm-proxy"
    assert targets.resolve("local", label="ref").name == "ref"
    secret = targets.resolve(base_url="https://user:s3cret@gw.example.com/v1?key=s3cret")
    assert "s3cret" not in secret.name and secret.name == "gw.example.com-claude-sonnet-4-6"


def test_feature_option_adds_to_the_profile_and_unknown_ones_are_named() -> None:
    target = targets.resolve(base_url="http://127.0.0.1:8081", features=["error-statuses"])
    assert target.features == {"error-statuses"}
    assert "images" in targets.resolve("ccapi", features=["prefill"]).features
    with pytest.raises(ProfileError, match="unknown feature 'nope'; known features: prefill"):
        targets.resolve(base_url="http://127.0.0.1:8081", features=["nope"])


@pytest.mark.parametrize("label", ["../up", "a b", "", "x" * 81, "-x"])
def test_a_label_must_name_a_folder(label: str) -> None:
    with pytest.raises(ProfileError, match="cannot name a folder"):
        targets.resolve("local", label=label)


def test_upstream_stub_is_a_profile_key() -> None:
    target = targets.from_mapping("gw", {"base_url": "http://127.0.0.1:1", "stub_upstream": True})
    assert target.stub_upstream is True
    assert targets.resolve("local").stub_upstream is False
    with pytest.raises(ProfileError, match="stub_upstream must be true or false"):
        targets.from_mapping("gw", {"base_url": "http://127.0.0.1:1", "stub_upstream": "yes"})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "local", "base_url": "https://x.example"}, "conflict"),
        ({"base_url": "ftp://x"}, "not an http"),
    ],
)
def test_conflicting_or_bad_options(kwargs: dict[str, str], match: str) -> None:
    with pytest.raises(ProfileError, match=match):
        targets.resolve(**kwargs)


def test_user_file_adds_and_validates_profiles(tmp_path: Path) -> None:
    good = tmp_path / "mconf.toml"
    good.write_text(
        '[gw]\nbase_url = "http://127.0.0.1:9999"\nkey_env = "GW"\n[gw.waivers]\n"x" = "y"\n'
    )
    target = targets.resolve("gw", user_file=good)
    assert target.loopback and target.waivers == {"x": "y"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[gw]\nbase_url = "http://h"\nauth = "cookie"\n')
    with pytest.raises(ProfileError, match="auth must be one of"):
        targets.resolve("gw", user_file=bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[gw\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        targets.resolve("gw", user_file=broken)
    with pytest.raises(ProfileError, match="no such targets file"):
        targets.resolve("gw", user_file=tmp_path / "missing.toml")


def test_timing_thresholds_come_from_the_profile(tmp_path: Path) -> None:
    from messages_conformance.core.pacing import Limits

    user = tmp_path / "mconf.toml"
    user.write_text(
        '[gw]\nbase_url = "https://gw.example"\n'
        "[gw.timing]\nidle_timeout_s = 55\nburst_share = 0.8\n"
    )
    gw = targets.resolve("gw", user_file=user)
    assert gw.timing == Limits(idle_timeout_s=55.0, burst_share=0.8)
    assert targets.resolve("ccapi").timing == Limits()  # the documented defaults
    assert targets.resolve("local").timing.idle_timeout_s == 0.4


@pytest.mark.parametrize(
    ("table", "match"),
    [("[gw.timing]\nidle = 1\n", "unknown timing keys"), ("[gw]\ntiming = 3\n", "must be a table")],
)
def test_bad_timing_tables_are_one_line(tmp_path: Path, table: str, match: str) -> None:
    user = tmp_path / "mconf.toml"
    head = '[gw]\nbase_url = "https://gw.example"\n' if table.startswith("[gw.timing]") else ""
    user.write_text(head + table.replace("[gw]\n", '[gw]\nbase_url = "https://gw.example"\n'))
    with pytest.raises(ProfileError, match=match):
        targets.resolve("gw", user_file=user)
