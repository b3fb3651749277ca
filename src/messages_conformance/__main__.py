"""`python -m messages_conformance` is `mconf`."""

from .cli.main import main

main()
