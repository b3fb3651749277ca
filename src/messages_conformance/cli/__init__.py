"""The `mconf` command: `base` (parser, UsageError, exit codes, spec loading) is imported by
every command; `main` dispatches to one module per command; no command imports another.
May import: everything but the gateway internals (it starts the gateway through its public API)."""
