"""WSGI entry point for gunicorn: ``gunicorn -c deploy/gunicorn.conf.py authserver.wsgi:app``."""

from __future__ import annotations

import sys

from authserver.settings import SettingsError

try:
    from authserver import create_app

    app = create_app()
except SettingsError as exc:  # one line for the operator, not a traceback
    print(f"authserver: configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
