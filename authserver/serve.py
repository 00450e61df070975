"""Run the app under gunicorn from the ``authserver serve`` command.

:data:`GUNICORN_OPTIONS` are the choices every way of serving makes: ``authserver serve``
here, and ``deploy/gunicorn.conf.py`` for deployments that run gunicorn directly (the
benchmark serves through that file too).
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

GUNICORN_OPTIONS: dict[str, Any] = {
    # gthread keeps client connections alive between requests (sync workers close them);
    # the app is I/O-bound on the database, so a few threads per process go a long way.
    "worker_class": "gthread",
    "keepalive": 5,
    "graceful_timeout": 20,
    # Never preload: each worker imports the app after fork, so no database connection
    # or key cache is shared between processes.
    "preload_app": False,
    # %(U)s is the path without the query string: authorization codes, states and tokens
    # travel in query strings and must never reach a log file.
    "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    # gunicorn >= 25.1 opens a control socket under $HOME or $XDG_RUNTIME_DIR by default;
    # nothing here uses it, and a read-only or sandboxed file system cannot create it.
    "control_socket_disable": True,
}


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported in each worker after fork: database connections are never shared.
        from authserver.wsgi import app

        return app


def serve(bind: str, workers: int, threads: int, access_log: bool = True) -> None:
    _Server({
        **GUNICORN_OPTIONS,
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "accesslog": "-" if access_log else None,
        # Only a proxy on this host may set X-Forwarded-Proto; deploy/gunicorn.conf.py
        # reads FORWARDED_ALLOW_IPS for others.
        "forwarded_allow_ips": "127.0.0.1",
    }).run()
