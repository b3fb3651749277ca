"""messages-conformance: contract tests for the Anthropic-format POST /v1/messages."""
