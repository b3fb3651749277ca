"""The per-test harness the suites use: send a request to the target, check it, keep findings.

A suite states requirements as expectations (`expect`), each tied to a rule id; the checks of
the core run on every exchange automatically. The pytest plugin turns unwaived error findings
into a failed test and carries every finding into the report.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.attribution import attribute
from ..core.check import CheckResult, check_exchange
from ..core.exchange import Exchange
from ..core.expectations import SUITE_RULES as RULES
from ..core.findings import Finding, Rule, Severity
from ..core.spec import Spec
from ..core.spend import Spend, of_usage
from ..net.targets import Target
from ..net.transport import Sent, TargetError, Transport, key_headers, scrubbed

_RULES = {rule.id: rule for rule in RULES}
Recorder = Callable[[Exchange], None]


def _families() -> frozenset[str]:
    from ..core.rules import all_rules

    return frozenset(rule_id.split(".")[0] for rule_id in [*all_rules(), *_RULES])


def rule_of(rule: str | Rule, severity: Severity | str | None = None) -> Rule:
    """A catalogue rule by id, a ``Rule`` of the caller's own, or a new rule under an id of the
    caller's own (``acme.greeting``; severity error unless given). Our families (``auth.``,
    ``stream.``, …) stay closed: an unknown id there is a typo, not a new rule."""
    if isinstance(rule, Rule):
        return rule
    if rule in _RULES:
        return _RULES[rule]
    family = rule.split(".")[0]
    if family in _families():
        raise KeyError(
            f"{rule!r} is not in mconf's catalogue (`mconf rules`); a rule of your own needs a "
            f"prefix of your own, e.g. 'acme.{rule.partition('.')[2] or rule}'"
        )
    return Rule(rule, Severity(severity or Severity.ERROR), rule)


def _broken_off(sent: Sent, error: TargetError) -> str:
    status = sent.exchange.response.status
    size = len(sent.exchange.response.body)
    return f"the {status} answer broke off after {size} body bytes: {error.what} the target"


@dataclass(slots=True)
class Result:
    """One exchange with the target and what the checks made of it."""

    sent: Sent
    checked: CheckResult

    @property
    def exchange(self) -> Exchange:
        return self.sent.exchange

    @property
    def status(self) -> int:
        return self.sent.exchange.response.status

    @property
    def message(self) -> dict[str, Any] | None:
        return self.checked.message

    @property
    def error_type(self) -> str | None:
        """The error type the answer meant, read from foreign envelopes too: an OpenAI-style
        ``{"error": {"type": ...}}`` body still says which type it meant (the envelope itself
        is judged by http.error-envelope)."""
        error = self.checked.error or self.checked.body
        inner = error.get("error") if isinstance(error, dict) else None
        kind = inner.get("type") if isinstance(inner, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def text(self) -> str:
        blocks = (self.message or {}).get("content") or []
        return "".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )

    def block_types(self) -> list[str]:
        return [b.get("type", "?") for b in (self.message or {}).get("content") or []]


@dataclass(slots=True)
class Harness:
    """What a case sees as the ``mconf`` fixture: ``send`` to the target (checked by the core),
    ``expect`` requirements of the case (each a rule), the findings so far."""

    target: Target
    transport: Transport | None
    spec: Spec
    mode: str = "live"
    findings: list[Finding] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    sent_elsewhere: int = 0  # requests the case sent through another client (Schemathesis)
    used_elsewhere: Spend = field(default_factory=Spend)  # tokens of those requests' answers
    # (index of the first finding about it, exchange) for every exchange checked: which
    # response a finding is about (reports show its request and response, a curl line)
    exchanges: list[tuple[int, Exchange]] = field(default_factory=list)
    deadline_s: float | None = None  # a case's wall-clock limit over all its requests
    recorder: Recorder | None = None  # record mode: every exchange, scrubbed, into a cassette
    started: float = field(default_factory=time.monotonic)
    untestable: TargetError | None = None  # once the target could not be tested, nothing more
    tally: dict[str, int] = field(default_factory=dict)  # a suite's counters (generated)
    examples: list[dict[str, Any]] = field(default_factory=list)  # failing ones (examples.py)

    def new_case(self) -> None:
        """A new case starts (each generated example is one): its deadline starts now."""
        self.started = time.monotonic()

    @property
    def deadline(self) -> float | None:
        return None if self.deadline_s is None else self.started + self.deadline_s

    def body(self, text: str = "Say hello.", **extra: Any) -> dict[str, Any]:
        """A small valid request body for the target's model."""
        base = {
            "model": self.target.model,
            "max_tokens": self.target.max_tokens,
            "messages": [{"role": "user", "content": text}],
        }
        return {**base, **extra}

    def send(
        self,
        body: dict[str, Any] | bytes | None,
        *,
        auth: str = "target",
        headers: Mapping[str, str | None] | None = None,
        retries: int | None = None,
        path: str = "/v1/messages",
        method: str = "POST",
        judged: bool = True,
        **options: Any,
    ) -> Result:
        """Send one request to the target (any endpoint, `/v1/messages` by default), check it.
        ``judged=False``: the caller judges the answer (transit compares it with the
        upstream's); the checks still run, their findings are not kept. ``options`` go to the
        transport (``headers_only``)."""
        if self.transport is None:
            raise RuntimeError("this harness checks recorded data only; it cannot send")
        kept = len(self.findings)
        options.update(auth=auth, headers=headers, retries=retries, path=path, method=method)
        sent = self._receive(self.transport, body, deadline=self.deadline, **options)
        if sent.truncated_body:
            cap = self.transport.max_body_bytes
            message = f"the body is larger than the cap of {cap} bytes; read stopped there"
            self.expect("transport.body-too-large", False, message, expected=f"<= {cap} bytes")
        checked = check_exchange(sent.exchange, self.spec, limits=self.target.timing)
        result = Result(sent, checked)
        self.add(result.checked.findings)
        self.results.append(result)
        if not judged:
            del self.findings[kept:]
        self.exchanges.append((kept, sent.exchange))
        return result

    def _receive(self, transport: Transport, body: Any, **options: Any) -> Sent:
        """The answer with the key scrubbed out; of a body that broke off, the part that came."""
        if self.untestable is not None:  # e.g. Hypothesis replaying the example that failed
            raise self.untestable
        try:
            sent = transport.send(body, **options)
        except TargetError as exc:
            if exc.partial is None:  # no answer at all: the target could not be tested
                self.untestable = exc
                raise
            sent = exc.partial
            message = _broken_off(sent, exc)
            self.expect("transport.body-incomplete", False, message, received=str(exc))
        exchange = scrubbed(sent.exchange, self.target.secrets())
        if self.recorder is not None:
            self.recorder(exchange)
        return replace(sent, exchange=exchange)

    def auth_headers(self) -> dict[str, str]:
        """The target's credential headers, for clients other than our transport."""
        key = self.target.key() or "replay-key"
        return key_headers(key, self.target.auth)

    def check(self, exchange: Exchange, *, sent: bool = False) -> CheckResult:
        """Check an exchange and keep its findings; ``sent``: the case sent it to the target
        through another client, so it counts as one of the run's requests."""
        exchange = scrubbed(exchange, self.target.secrets())
        checked = check_exchange(exchange, self.spec, limits=self.target.timing)
        self.exchanges.append((len(self.findings), exchange))
        self.add(checked.findings)
        if sent:
            self.sent_elsewhere += 1
            self.used_elsewhere.add(of_usage((checked.message or {}).get("usage")))
        return checked

    def add(self, findings: Iterable[Finding]) -> None:
        """Keep findings, as they count for this target (see core.attribution)."""
        self.findings.extend(attribute(f, self.target.stub_upstream) for f in findings)

    def exchange_of(self, index: int) -> int | None:
        """Which checked exchange the finding at ``index`` is about (None: before any)."""
        position = bisect.bisect_right([start for start, _ in self.exchanges], index) - 1
        return position if position >= 0 else None

    def spend(self) -> Spend:
        """What the case cost: every request it sent (through the transport or another client)
        and the tokens their answers report."""
        spent = Spend(requests=len(self.results) + self.sent_elsewhere)
        for result in self.results:
            spent.add(of_usage((result.message or {}).get("usage")))
        spent.add(self.used_elsewhere)
        return spent

    def expect(
        self,
        rule: str | Rule,
        ok: bool,
        message: str,
        *,
        expected: Any = None,
        received: Any = None,
        severity: Severity | str | None = None,
    ) -> bool:
        """``ok``, or a finding of ``rule`` (a catalogue id, a ``Rule``, or an id of your own)."""
        if not ok:
            finding = rule_of(rule, severity).finding(message, expected=expected, received=received)
            self.add([finding])
        return ok

    def expect_status(
        self, rule_id: str, result: Result, status: int, error_type: str | None = None
    ) -> bool:
        """The result has this status (and error type): otherwise a finding of rule_id."""
        got = f"{result.status} {result.error_type or ''}".strip()
        want = f"{status} {error_type or ''}".strip()
        ok = result.status == status and (error_type is None or result.error_type == error_type)
        retried = f" (after {result.sent.retries} retries)" if result.sent.retries else ""
        message = f"expected {want}, got {got}{retried}"
        return self.expect(rule_id, ok, message, expected=want, received=got)

    def expect_success(self, result: Result) -> bool:
        return self.expect_status("status.expected", result, 200)
