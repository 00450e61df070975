"""WSGI entry point for gunicorn: ``gunicorn -c deploy/gunicorn.conf.py authserver.wsgi:app``.

Imported in each gunicorn worker after the fork (``preload_app`` is off, both under
``authserver serve`` and deploy/gunicorn.conf.py), so the outbox worker thread started
here belongs to that process: one per server process, no extra daemon to run, and no
thread is ever forked (a thread started in the master would not survive the fork).
"""

from __future__ import annotations

import sys

from authserver.settings import SettingsError

try:
    from authserver import create_app
    from authserver.runtime import build_runtime
    from authserver.runtime.outbox_wiring import outbox_worker, start_audit_shipping

    _runtime = build_runtime()
    app = create_app(runtime=_runtime)
    if _runtime.settings.outbox_poll:
        outbox_worker(_runtime).start()  # its first round ships dead processes' spools
    else:
        # No worker thread here: still ship, once, the audit spool files of processes
        # that died (docs/audit.md, "The spool"); `authserver worker` does the rest.
        start_audit_shipping(_runtime)
except SettingsError as exc:  # one line for the operator, not a traceback
    print(f"authserver: configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
