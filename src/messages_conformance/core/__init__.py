"""The pure core: values (findings, exchange), the contract (spec), the SSE decoder, the stream
grammar, the semantic rules, the composition of all checks for one exchange (check) and the rule
catalogue. No I/O besides reading spec/ files, no HTTP, no clock: exchanges in, findings out.
May import: the standard library, jsonschema/jsonschema-rs, and other core modules only."""
