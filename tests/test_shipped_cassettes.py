"""The cassettes the repository ships: every target's folder records the same cases of the
suites it shares with the others, so an offline replay of any target finds every recording
(CI replays `local` and `transit` without a network)."""

from __future__ import annotations

from pathlib import Path

import pytest

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def _targets() -> list[Path]:
    return sorted(p for p in CASSETTES.iterdir() if p.is_dir()) if CASSETTES.is_dir() else []


def _shared_suites() -> list[str]:
    targets = _targets()
    if len(targets) < 2:
        return []
    names = [{p.name for p in t.iterdir() if p.is_dir()} for t in targets]
    return sorted(set.intersection(*names))


def test_the_repository_ships_cassettes_of_several_targets() -> None:
    assert len(_targets()) >= 2, "cassettes/ should hold the local and transit recordings"
    assert "test_generated" in _shared_suites()


@pytest.mark.parametrize("suite", _shared_suites())
def test_every_target_records_the_same_cases_of_a_shared_suite(suite: str) -> None:
    listings = {t.name: sorted(p.name for p in (t / suite).iterdir()) for t in _targets()}
    first, *others = listings.items()
    for name, files in others:
        missing = sorted(set(first[1]) - set(files))
        extra = sorted(set(files) - set(first[1]))
        assert not missing and not extra, (
            f"cassettes/{name}/{suite} differs from cassettes/{first[0]}/{suite}: "
            f"missing {missing}, extra {extra}; re-record it with "
            f"`mconf run --target {name} --mode record --suite {suite.removeprefix('test_')}`"
        )
