"""``authserver serve``: the app under gunicorn."""

from __future__ import annotations

import click

from authserver.cli.common import BIND, cli, runtime


@cli.command()
@click.option("--bind", type=BIND, metavar="HOST:PORT",
              help="Where to listen (default: AUTHSERVER_BIND, else 127.0.0.1:8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request on stdout (paths only, never query strings).")
def serve(bind: str | None, workers: int, threads: int, access_log: bool) -> None:
    """Serve under gunicorn (gthread workers keep connections alive)."""
    # Looked up when run: gunicorn is imported only by the command that needs it.
    from authserver.serve import serve as run_server

    rt = runtime()  # validate settings and the master key before forking workers
    run_server(bind=bind or rt.settings.bind, workers=workers, threads=threads,
               access_log=access_log)
