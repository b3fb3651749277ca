"""The composed checks over whole exchanges, driven by spec/examples and the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from messages_conformance.core.check import check_exchange
from messages_conformance.core.findings import Severity
from messages_conformance.core.rules import all_rules
from messages_conformance.recordings.cassette import load_exchanges

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "spec" / "examples"
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
INVALID = sorted(
    p for p in (EXAMPLES / "invalid" / "exchanges").iterdir() if p.suffix in (".json", ".sse")
)
VALID = sorted((EXAMPLES / "valid" / "exchanges").glob("*.json"))


def _rule_of(path: Path) -> str:
    return path.stem.split("--")[0]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_is_caught_with_its_rule(path: Path) -> None:
    (exchange,) = load_exchanges(path)
    rules = {f.rule for f in check_exchange(exchange).findings}
    assert _rule_of(path) in rules, f"{path.name}: expected {_rule_of(path)}, got {sorted(rules)}"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_has_no_error(path: Path) -> None:
    (exchange,) = load_exchanges(path)
    errors = [str(f) for f in check_exchange(exchange).findings if f.severity is Severity.ERROR]
    assert errors == []


def test_every_example_names_a_known_rule() -> None:
    known = set(all_rules())
    assert {_rule_of(p) for p in INVALID} <= known


def test_every_error_rule_has_an_invalid_example() -> None:
    """At least one invalid example per contract rule (scenario and generated rules excepted)."""
    families = ("schema.", "sse.", "stream.", "http.", "message.")
    rules = {
        r.id
        for r in all_rules().values()
        if r.id.startswith(families) and r.severity is Severity.ERROR
    }
    covered = {_rule_of(p) for p in INVALID}
    assert sorted(rules - covered) == []


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the real corpus (../shared/corpus/real) is not present"
)
def test_corpus_is_complete() -> None:
    assert len(_corpus()) == 178


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the real corpus (../shared/corpus/real) is not present"
)
@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.stem[:40])
def test_real_exchange_has_zero_error_findings(path: Path) -> None:
    for exchange in load_exchanges(path):
        errors = [str(f) for f in check_exchange(exchange).findings if f.severity is Severity.ERROR]
        assert errors == [], f"a rule rejects real traffic ({path.name}): {errors}"
