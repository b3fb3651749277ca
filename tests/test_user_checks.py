"""A user's own pytest project writes checks of its own with the `mconf` fixture (issue 12):
`expect()` takes rule ids the catalogue does not know, `Harness` is public, and the README's
example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import messages_conformance

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def readme_example() -> str:
    """The Python block under the README's "Your own checks" heading."""
    text = (ROOT / "README.md").read_text()
    _, _, section = text.partition("## Your own checks")
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "README has no Python example under '## Your own checks'"
    return found[1]


def test_harness_is_public() -> None:
    assert "Harness" in messages_conformance.__all__
    assert messages_conformance.Harness.__name__ == "Harness"


def test_the_readme_example_passes_against_the_reference_gateway(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    pytester.makepyfile(test_mine=readme_example())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_a_rule_of_ones_own_fails_the_case_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MCONF_GATEWAY_API_KEY", raising=False)
    pytester.makepyfile(
        test_mine="""
from messages_conformance import Harness, Rule, Severity

POLITE = Rule("acme.polite", Severity.WARNING, "answers say please")


def test_own_rules(mconf: Harness) -> None:
    result = mconf.send(mconf.body("Say hello."))
    mconf.expect(POLITE, False, "no please", received=result.text)  # a warning: never fails
    mconf.expect("acme.short", len(result.text) < 0, "the answer is too long", expected="< 0")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-rf")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "KeyError" not in out
    assert "acme.short: the answer is too long" in out
    assert "acme.polite" not in out.split("short test summary")[-1]
