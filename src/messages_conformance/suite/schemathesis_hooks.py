"""Schemathesis hooks module: `SCHEMATHESIS_HOOKS=messages_conformance.schemathesis_hooks`.

    SCHEMATHESIS_HOOKS=messages_conformance.schemathesis_hooks \\
        schemathesis run spec/messages.openapi.yaml --url http://127.0.0.1:8787 \\
        -H "x-api-key: $KEY" -H "anthropic-version: 2023-06-01" --checks all

adds `conformance_check` (our schemas, stream grammar and semantic rules) to Schemathesis' own.
"""

from .generated import register_check

register_check()
