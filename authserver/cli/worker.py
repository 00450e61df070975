"""``authserver worker``: the outbox worker in the foreground (back-channel logout,
mail and SMS, the session expiry sweep), for operators who run it apart from the server
processes (AUTHSERVER_OUTBOX_POLL=0) or from cron (``--once``)."""

from __future__ import annotations

import click

from authserver.cli.common import cli, emit, json_option, runtime
from authserver.runtime.outbox_wiring import outbox_worker


@cli.command()
@click.option("--once", is_flag=True,
              help="One round (expiry sweep, one batch of deliveries), print it, exit.")
@json_option
def worker(once: bool, as_json: bool) -> None:
    """Deliver the outbox until interrupted (every AUTHSERVER_OUTBOX_POLL, at least 1 s)."""
    running = outbox_worker(runtime())
    if not once:
        click.echo(f"authserver worker: polling every {running.poll_seconds:g} s "
                   "(Ctrl-C to stop)", err=True)
        running.run_forever()
        return
    done = running.run_once()
    out = {"sessions_expired": done.sessions_expired, "delivered": done.delivered.delivered,
           "retried": done.delivered.retried, "dead": done.delivered.dead}
    emit(as_json, out, lambda: click.echo(" ".join(f"{k}={v}" for k, v in out.items())))
