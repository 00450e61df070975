"""``authserver keys``: list, rotate, revoke a tenant's signing keys."""

from __future__ import annotations

import click

from authserver.cli.common import admin, cli, emit, json_option, tenant_option
from authserver.services import key_lifecycle
from authserver.services.keys import SUPPORTED_ALGS


@cli.group()
def keys() -> None:
    """Signing keys: list, rotate, revoke."""


@keys.command("list")
@tenant_option
@json_option
def keys_list(tenant_slug: str, as_json: bool) -> None:
    """List a tenant's keys and their lifecycle state."""
    views = [k.view() for k in key_lifecycle.list_keys(admin(), tenant_slug)]

    def human() -> None:
        for v in views:
            click.echo(f"{v['kid']}  {v['alg']:<6} {v['state']:<9} "
                       f"active from {v['activates_at']}"
                       + (f", retires {v['retires_at']}" if v["retires_at"] else ""))

    emit(as_json, views, human)


@keys.command("rotate")
@tenant_option
@click.option("--alg", "algs", multiple=True, type=click.Choice(SUPPORTED_ALGS),
              help="Algorithm to rotate (repeatable; default: every one in use).")
@click.option("--immediate", is_flag=True,
              help="Sign with the new key at once (suspected compromise) instead of after "
                   "KEY_PUBLISH_LEAD.")
@json_option
def keys_rotate(tenant_slug: str, algs: tuple[str, ...], immediate: bool, as_json: bool) -> None:
    """Publish new keys now; they sign after KEY_PUBLISH_LEAD, when the old ones retire."""
    views = [k.view() for k in key_lifecycle.rotate_keys(admin(), tenant_slug, algs, immediate)]

    def human() -> None:
        for v in views:
            click.echo(f"new {v['alg']} key {v['kid']}: published now, signs from "
                       f"{v['activates_at']}")

    emit(as_json, views, human)


@keys.command("revoke")
@tenant_option
@click.argument("kid")
def keys_revoke(tenant_slug: str, kid: str) -> None:
    """Withdraw KID from JWKS at once; tokens it signed stop verifying."""
    replacement = key_lifecycle.revoke_key(admin(), tenant_slug, kid)
    click.echo(f"revoked {kid}" + (f"; {replacement.kid} signs from now" if replacement else ""))
