"""``authserver db``: schema upgrades, the current revision, expiry purges."""

from __future__ import annotations

import click

from authserver.cli.common import admin, cli, runtime
from authserver.services import maintenance


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations and make sure the default tenant exists."""
    revision, created = maintenance.upgrade_schema(admin())
    click.echo(f"database at revision {revision}"
               + ("; created tenant 'default'" if created else ""))


@db.command("purge")
def db_purge() -> None:
    """Delete expired codes, grants, sessions, revocation records and keys (run from cron)."""
    rt = runtime()
    # Each tenant's token store as the runtime wires it for the protocol.
    totals = maintenance.purge_expired(admin(), rt.token_store, rt.throttle)
    click.echo(", ".join(f"{table}: {count}" for table, count in sorted(totals.items())))


@db.command("current")
def db_current() -> None:
    """Show the schema revision the database is at."""
    current, head = maintenance.schema_revision(admin())
    click.echo(f"{current or 'empty'} (head {head})")
