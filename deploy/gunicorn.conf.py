"""gunicorn settings for authserver.

    gunicorn -c deploy/gunicorn.conf.py authserver.wsgi:app

The same choices `authserver serve` makes (authserver/serve.py: GUNICORN_OPTIONS), for
deployments that run gunicorn directly. Run `authserver db upgrade` first: the app does
not migrate by itself.

Environment read here (gunicorn's, not authserver's settings):

    AUTHSERVER_BIND      address to listen on (default 127.0.0.1:8000; "unix:/path" works);
                         also an authserver setting, read by `authserver serve`
    AUTHSERVER_WORKERS   worker processes (default 2)
    AUTHSERVER_THREADS   threads per worker (default 4)
    FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-Proto (gunicorn's own variable;
                         default 127.0.0.1,::1)

Command-line options given after `-c` (e.g. `--bind`, `--workers`) override these.
"""

import os
import sys

from authserver.serve import GUNICORN_OPTIONS

# Names authserver's settings loader does not know. It refuses unknown AUTHSERVER_*
# variables so that a misspelt setting never passes silently, so each worker drops these
# before it imports the app (post_fork below). The master keeps them: a HUP reload
# re-reads this file and must see the same values.
# (AUTHSERVER_BIND is a setting, validated with the others.)
_GUNICORN_ONLY = ("AUTHSERVER_WORKERS", "AUTHSERVER_THREADS")

bind = os.environ.get("AUTHSERVER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("AUTHSERVER_WORKERS", "2"))
threads = int(os.environ.get("AUTHSERVER_THREADS", "4"))

# The choices `authserver serve` makes too (worker class, keep-alive, graceful timeout, no
# preloading, an access log format without query strings, no control socket): one list,
# in authserver/serve.py.
globals().update(GUNICORN_OPTIONS)

accesslog = "-"

# Only these peers may set X-Forwarded-Proto (wsgi.url_scheme). authserver builds its
# issuer and every published URL from AUTHSERVER_PUBLIC_URL, never from request headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    # Validate settings and load the master key once, in the master, before any worker
    # starts, as `authserver serve` does. Without this a bad value makes every worker exit
    # at import and gunicorn respawns them in a loop instead of stopping.
    # (Importing authserver here means a HUP reloads this file but not the code: restart
    # to deploy a new version.)
    from authserver.services.master_key import load_master_key
    from authserver.settings import SettingsError, load_settings

    environ = {k: v for k, v in os.environ.items() if k not in _GUNICORN_ONLY}
    try:
        load_master_key(load_settings(environ))
    except SettingsError as exc:
        print(f"authserver: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def post_fork(server, worker):
    # Runs in the new worker before it loads authserver.wsgi.
    for name in _GUNICORN_ONLY:
        os.environ.pop(name, None)
