"""Recorded traffic: every cassette of the target is validated again as data.

This catches drift when cassettes are re-recorded: the exchanges themselves must still conform.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from messages_conformance.recordings.cassette import load_exchanges
from messages_conformance.suite.harness import Harness
from messages_conformance.suite.options import target_of


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cassette_file" not in metafunc.fixturenames:
        return
    root = Path(metafunc.config.getoption("mconf_cassette_dir")) / target_of(metafunc.config).name
    # transit cassettes hold both legs of answers broken on purpose: the transit suite's
    # replay re-checks them by comparing the legs, not one by one
    files = sorted(
        f for f in root.rglob("*.yaml") if f.relative_to(root).parts[0] != "test_transit"
    )
    ids = [str(f.relative_to(root)) for f in files]
    if not files:
        files, ids = [None], ["no-cassettes"]  # type: ignore[list-item]
    metafunc.parametrize("cassette_file", files, ids=ids)


def test_cassette_conforms(mconf_data: Harness, cassette_file: Path | None) -> None:
    """Every interaction in the cassette passes the checks of the core."""
    if cassette_file is None:
        pytest.skip("no cassettes recorded yet (record with `mconf run --mode record`)")
    exchanges = load_exchanges(cassette_file)
    assert exchanges, f"{cassette_file} holds no interactions"
    for exchange in exchanges:
        mconf_data.check(exchange)
