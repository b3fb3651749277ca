"""Attribution: whose fault a finding is, when the target says what stands behind it.

A gateway profile may declare ``stub_upstream = true``: the model behind the gateway is a stand-in
(an echo server, a canned responder). Rules about *model behaviour* (max_tokens honoured, stop
sequences, tool input quality, echo, thinking) then say nothing about the gateway, so their
findings become notices for that target: reported, never failing, never a problem to fix.
(In transit mode, where mconf is the upstream too, attribution is exact.)
"""

from __future__ import annotations

from dataclasses import replace

from .findings import Finding, Severity

MODEL_RULES = frozenset(
    {
        "behaviour.echo",
        "behaviour.max-tokens",
        "behaviour.stop-sequence",
        "behaviour.tool-use",
        "behaviour.tool-result",
        "behaviour.thinking",
        "message.max-tokens",
        "message.max-tokens-stop",
        "message.stop-sequence",
        "message.tool-input-schema",
        "message.tool-choice-forced",
        "message.tool-choice-none",
        "message.tool-unknown",
        "message.tool-use-missing",
    }
)
NOTE = " (a model-behaviour rule: the target's upstream is a stub, so not the gateway's fault)"


def attribute(finding: Finding, stub_upstream: bool) -> Finding:
    """The finding as it counts for a target (``stub_upstream``: a stand-in model behind it)."""
    if not stub_upstream or finding.rule not in MODEL_RULES:
        return finding
    if finding.severity is Severity.NOTICE:
        return finding
    return replace(finding, severity=Severity.NOTICE, message=finding.message + NOTE)
