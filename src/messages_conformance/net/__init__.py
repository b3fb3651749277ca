"""The network edge: the transport (the only code that sends HTTP: timeouts, retries, budgets,
size caps, redaction of credentials) and the target profiles it is configured from.
May import: core."""
