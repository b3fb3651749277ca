"""Semantic rules over one exchange: status and headers, error pairing, a request and its Message.

Pure: values in, findings out; a rule returns early when it does not apply (no request body, no
recorded headers, ...). Section numbers (§) refer to the wire facts in the reference notes
(``messages-api-facts.md``); every rule here was run against the real-traffic corpus and must stay
silent on it (errors) — a rule that rejects real traffic is a bug in the rule.
"""

from .http_checks import check_error, check_http
from .message_checks import check_message
from .semantic_rules import RULES, STATUS_ERROR_TYPES

__all__ = ["RULES", "STATUS_ERROR_TYPES", "check_error", "check_http", "check_message"]
