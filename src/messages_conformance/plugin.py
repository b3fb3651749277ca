"""The pytest plugin's public import path (the `pytest11` entry point, `pytest -p
messages_conformance.plugin`). The plugin lives in `suite/plugin.py`; this name is that module."""

import sys

from .suite import plugin as _plugin

sys.modules[__name__] = _plugin
