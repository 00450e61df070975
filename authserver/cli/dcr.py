"""``authserver dcr``: initial access tokens for dynamic client registration (RFC 7591
§3). The tenant's registration mode is set by ``authserver tenant update --registration``."""

from __future__ import annotations

import click

from authserver.cli.common import (
    DURATION,
    admin,
    cli,
    echo_fields,
    emit,
    json_option,
    tenant_option,
)
from authserver.services import dcr_admin


@cli.group()
def dcr() -> None:
    """Dynamic client registration (RFC 7591, RFC 7592)."""


@dcr.group("token")
def token() -> None:
    """Initial access tokens: who may register clients when the tenant's registration
    mode is initial-access-token."""


@token.command("create")
@tenant_option
@click.option("--expires-in", type=DURATION, metavar="DURATION",
              help="Lifetime (default 1d, at most 365d).")
@click.option("--max-uses", type=click.IntRange(min=1), metavar="N",
              help="How many clients it may register (default 1).")
@click.option("--unlimited-uses", is_flag=True,
              help="Any number of registrations until it expires.")
@click.option("--description", metavar="TEXT", help="What the token is for (shown in lists).")
@json_option
def token_create(tenant_slug: str, expires_in: int | None, max_uses: int | None,
                 unlimited_uses: bool, description: str | None, as_json: bool) -> None:
    """Create an initial access token; it is printed once and only its digest is kept."""
    if unlimited_uses and max_uses is not None:
        raise click.UsageError("--max-uses and --unlimited-uses contradict each other")
    created = dcr_admin.create_token(admin(), tenant_slug, expires_in,
                                     None if unlimited_uses else (max_uses or 1), description)
    view = {**created.view, "token": created.token}
    emit(as_json, view, lambda: (
        click.echo(f"created {view['token_id']} (expires {view['expires_at']}); the token, "
                   "shown only now:"),
        click.echo(created.token)))


@token.command("list")
@tenant_option
@json_option
def token_list(tenant_slug: str, as_json: bool) -> None:
    """List the tenant's initial access tokens (never their values)."""
    views = dcr_admin.list_tokens(admin(), tenant_slug)
    emit(as_json, views, lambda: [click.echo(
        f"{v['token_id']}\t{v['state']}\t{v['uses']}/{v['max_uses'] or '-'}\t"
        f"{v['expires_at']}\t{v['description'] or ''}") for v in views])


@token.command("revoke")
@tenant_option
@click.argument("token_id")
@json_option
def token_revoke(tenant_slug: str, token_id: str, as_json: bool) -> None:
    """Revoke TOKEN_ID; the clients it registered stay registered."""
    view = dcr_admin.revoke_token(admin(), tenant_slug, token_id)
    emit(as_json, view, lambda: echo_fields(view))
