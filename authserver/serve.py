"""Run the app under gunicorn from the ``authserver serve`` command."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


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
        "bind": bind,
        "workers": workers,
        "threads": threads,
        # gthread keeps client connections alive between requests.
        "worker_class": "gthread",
        "keepalive": 5,
        "accesslog": "-" if access_log else None,
        # The request line carries authorization codes in query strings: log path only.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "graceful_timeout": 20,
        "forwarded_allow_ips": "127.0.0.1",
        "control_socket_disable": True,
    }).run()
