"""`python -m messages_conformance` is `mconf`."""

from .cli import main

main()
