"""``python -m authserver.cli``: the tests and tools run the command this way."""

from authserver.cli import main

main()
