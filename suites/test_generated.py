"""Generated contract tests: Schemathesis over spec/messages.openapi.yaml, positive and negative.

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
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from messages_conformance.core.spec import Spec
from messages_conformance.recordings.recording import RecordingMissing
from messages_conformance.suite.generated import clamp_case, failure_finding, pin_generation
from messages_conformance.suite.harness import Harness
from messages_conformance.suite.sending import PLACEHOLDER_BASE, call, route, sending

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.ignored_auth,
    openapi_checks.missing_required_header,
]
SEED = 20231106
pin_generation()


def _schema() -> Any:
    """The OpenAPI document as a Schemathesis schema; the target's URL is given per call."""
    loaded = schemathesis.openapi.from_path(str(Spec.load().openapi_path))
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    # Schemathesis' coverage phase draws ~7,000 boundary cases from this schema: too many for a
    # paid endpoint. Examples + fuzzing (seeded, derandomized) keep the run small and replayable.
    loaded.config.phases.update(phases=["examples", "fuzzing"])
    # Mask credentials only: the default list masks every key containing "token" (max_tokens).
    loaded.config.output.sanitization.keys_to_sanitize = (
        "x-api-key",
        "authorization",
        "cookie",
        "set-cookie",
    )
    loaded.config.seed = SEED  # Schemathesis' own seed: without it every run draws new cases
    loaded.config.max_stream_events = 100_000  # the default stops after 20 events
    return loaded


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
                f"or re-record with `mconf run --target {mconf_target.name} --mode record`"
            )


# Loaded eagerly (not through a fixture). Every request, the checks' probes too, is sent by
# the case's harness through the project's transport (suite/sending.py).
schema = route(_schema())


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_generated(case: Any, mconf: Harness, generator_versions: None) -> None:
    """Each generated request gets a response that conforms to the contract."""
    clamp_case(case, mconf.target)
    headers = {"anthropic-version": "2023-06-01", **mconf.auth_headers()}
    with sending(mconf):  # our checks run on the answer as the harness receives it
        response = call(case, headers)
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
