"""Generated contract tests: Schemathesis over spec/messages.openapi.yaml, positive and negative.

Positive cases are valid requests a faithful gateway answers 2xx (drawn from a generation-only
variant of the request schema); negative cases break the contract and must be refused. Every
drawn request that brings an error finding is kept as a failing example (request, response,
curl line: suite/examples.py).

Generation is seeded and derandomized so that replay finds its recordings. Schemathesis' own
checks run on every response, and so do ours (schemas, stream grammar, semantic rules): a
Schemathesis failure becomes a `generated.<check>` finding.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from messages_conformance.recordings.recording import RecordingMissing
from messages_conformance.suite import examples
from messages_conformance.suite.drawn_cases import Drawn
from messages_conformance.suite.generated import clamp_case, failure_finding, pin_generation
from messages_conformance.suite.generation import (
    call_headers,
    count,
    mode_of,
    negative_schema,
    positive_schema,
)
from messages_conformance.suite.harness import Harness
from messages_conformance.suite.sending import PLACEHOLDER_BASE, call, route, sending

# Not ignored_auth: it sends up to three more requests per answered case (no key, a wrong key),
# which the auth suite asks once, with expectations; a paid run should not pay for them 30 times.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.positive_data_acceptance,
]
pin_generation()


GENERATORS = ("hypothesis", "schemathesis")


@pytest.fixture(scope="module")
def generator_versions(request: pytest.FixtureRequest, mconf_target: Any) -> None:
    """Generated cases depend on the generators' versions: record them; replay only with them."""
    mode = request.config.getoption("mconf_mode")
    folder = (
        Path(request.config.getoption("mconf_cassette_dir")) / mconf_target.name / "test_generated"
    )
    stamp = folder / "generators.json"
    installed = {name: metadata.version(name) for name in GENERATORS}
    if mode == "record":
        folder.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(installed, indent=2) + "\n")
    elif mode == "replay" and stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if recorded != installed:
            raise RecordingMissing(
                f"generated cases were recorded with {recorded} but {installed} is installed: "
                "Hypothesis draws differ across versions; install with `-c constraints.txt` "
                f"or re-record with {mconf_target.record_command()}"
            )


# Loaded eagerly (not through a fixture). Positive cases from the generation-only variant,
# negative ones from the contract (suite/generation.py says why and how). Every request, the
# checks' probes too, is sent by the case's harness through the project's transport
# (suite/sending.py).
positive = route(positive_schema())
negative = route(negative_schema())
DRAWS = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@positive.parametrize()
@DRAWS
def test_positive(case: Any, mconf: Harness, generator_versions: None, mconf_drawn: Drawn) -> None:
    """Each valid generated request is answered 2xx with a response that fits the contract."""
    exercise(case, mconf, mconf_drawn)


@negative.parametrize()
@DRAWS
def test_negative(case: Any, mconf: Harness, generator_versions: None, mconf_drawn: Drawn) -> None:
    """Each invalid generated request is refused with a response that fits the contract."""
    exercise(case, mconf, mconf_drawn)


def exercise(case: Any, mconf: Harness, drawn: Drawn) -> None:
    """Send one generated case, check the answer with our rules and Schemathesis' checks.

    Record mode keeps each case sent (``drawn``); replay sends the kept ones again as they were
    (suite/drawn_cases.py), without drawing them."""
    if not drawn.replaying:
        clamp_case(case, mconf.target)
    headers = call_headers(case, mconf.auth_headers())
    before = len(mconf.findings)
    with sending(mconf):  # our checks run on the answer as the harness receives it
        response = call(case, headers)
        drawn.keep(case)  # as sent, its metadata frozen by the call
        exchange = mconf.results[-1].exchange if mconf.results else None
        count(mconf.tally, mode_of(case), response.status_code)
        for check in CHECKS:  # one at a time, so each failure is named after its check
            try:
                case.validate_response(
                    response,
                    checks=[check],
                    headers=headers,
                    transport_kwargs={"base_url": PLACEHOLDER_BASE, "headers": headers},
                )
            except FailureGroup as group:
                found = (failure_finding(check.__name__, f) for f in group.exceptions)
                mconf.findings.extend(found)
    examples.keep(mconf.examples, exchange, mconf.findings[before:], mconf.target.key_env)
