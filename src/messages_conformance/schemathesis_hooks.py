"""The module path for `SCHEMATHESIS_HOOKS=messages_conformance.schemathesis_hooks`: our checks
as Schemathesis checks. The hooks live in `suite/schemathesis_hooks.py`; this name is that
module."""

import sys

from .suite import schemathesis_hooks as _hooks

sys.modules[__name__] = _hooks
