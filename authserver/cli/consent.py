"""``authserver consent``: what people have allowed applications to do."""

from __future__ import annotations

import click

from authserver.cli.common import admin, cli, emit, json_option, tenant_option
from authserver.services import consent_admin


@cli.group()
def consent() -> None:
    """What people have allowed applications to do."""


@consent.command("list")
@tenant_option
@click.option("--email", required=True)
@json_option
def consent_list(tenant_slug: str, email: str, as_json: bool) -> None:
    """List the applications a user has consented to, with the scopes."""
    views = consent_admin.list_consents(admin(), tenant_slug, email)
    emit(as_json, views, lambda: [click.echo(f"{v['client_id']}\t{' '.join(v['scopes'])}")
                                  for v in views])


@consent.command("revoke")
@tenant_option
@click.option("--email", required=True)
@click.option("--client", "client_id", required=True, help="client_id of the application.")
def consent_revoke(tenant_slug: str, email: str, client_id: str) -> None:
    """Withdraw consent: the app must ask again, and its tokens for the user stop working."""
    revoked = consent_admin.revoke_consent(admin(), tenant_slug, email, client_id)
    # Nothing to revoke is still success: the state asked for (no consent, no grants)
    # holds, so scripts that make sure of it stay idempotent. Unknown names are refused.
    click.echo(f"consent withdrawn; {revoked.grants} grant(s) revoked" if revoked else
               f"nothing to revoke: {email} has no consent or grants for {client_id}")
