"""``python -m authserver.cli``: what the tests and live servers run (cli is a package)."""

from authserver.cli import main

main()
