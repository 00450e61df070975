"""``authserver tenant``: create, update, list, show."""

from __future__ import annotations

from typing import Any

import click

from authserver.cli.common import DURATION, admin, cli, echo_fields, emit, json_option, runtime
from authserver.services import tenant_admin
from authserver.services.session_limits import SessionLimitsChange
from authserver.services.sign_in_policy import SignInPolicyChange
from authserver.services.tenant_admin import TenantRecord


@cli.group()
def tenant() -> None:
    """Tenants: each has its own issuer, keys, clients and users."""


def _view(record: TenantRecord) -> dict[str, Any]:
    return record.view(runtime().issuer(record.slug))


@tenant.command("create")
@click.argument("slug")
@click.option("--name", help="Display name (defaults to the slug).")
@json_option
def tenant_create(slug: str, name: str | None, as_json: bool) -> None:
    """Create tenant SLUG with fresh RS256 and ES256 signing keys."""
    view = _view(tenant_admin.create_tenant(admin(), slug, name))
    emit(as_json, view, lambda: click.echo(f"created tenant {slug}; issuer {view['issuer']}"))


ON_OFF = click.Choice(["on", "off"])


@tenant.command("update")
@click.argument("slug")
@click.option("--name", help="New display name.")
@click.option("--refresh-token-idle-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token idle limit for this tenant's clients.")
@click.option("--refresh-token-absolute-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token absolute limit for this tenant's clients.")
@click.option("--mfa", type=click.Choice(["off", "optional", "required"]),
              help="Second factor: off, optional (asked once enrolled) or required.")
@click.option("--mfa-methods", metavar="LIST",
              help="Second factors offered, comma-separated: totp,sms,email,webauthn.")
@click.option("--magic-links", type=ON_OFF, help="Passwordless sign-in by emailed link.")
@click.option("--phone-sign-in", type=ON_OFF, help="Sign-in by phone number and SMS code.")
@click.option("--session-idle-ttl", type=DURATION, metavar="DURATION",
              help="Sign-in sessions end this long after they were last used.")
@click.option("--session-absolute-ttl", type=DURATION, metavar="DURATION",
              help="Sign-in sessions end this long after they started.")
@json_option
def tenant_update(slug: str, name: str | None, refresh_token_idle_ttl: int | None,
                  refresh_token_absolute_ttl: int | None, mfa: str | None,
                  mfa_methods: str | None, magic_links: str | None,
                  phone_sign_in: str | None, session_idle_ttl: int | None,
                  session_absolute_ttl: int | None, as_json: bool) -> None:
    """Change a tenant's display name, refresh token limits, sign-in policy or session
    limits."""
    sign_in = SignInPolicyChange(mfa, mfa_methods, _switch(magic_links),
                                 _switch(phone_sign_in))
    sessions = SessionLimitsChange(session_idle_ttl, session_absolute_ttl)
    if (name is None and refresh_token_idle_ttl is None
            and refresh_token_absolute_ttl is None and sign_in.is_empty()
            and sessions.is_empty()):
        raise click.UsageError("nothing to update; give at least one of --name, "
                               "--refresh-token-idle-ttl, --refresh-token-absolute-ttl, "
                               "--mfa, --mfa-methods, --magic-links, --phone-sign-in, "
                               "--session-idle-ttl, --session-absolute-ttl")
    view = _view(tenant_admin.update_tenant(admin(), slug, name, refresh_token_idle_ttl,
                                            refresh_token_absolute_ttl, sign_in, sessions))
    emit(as_json, view, lambda: click.echo(f"updated tenant {slug}"))


def _switch(value: str | None) -> bool | None:
    return None if value is None else value == "on"


@tenant.command("list")
@json_option
def tenant_list(as_json: bool) -> None:
    """List tenants."""
    views = [_view(record) for record in tenant_admin.list_tenants(admin())]
    emit(as_json, views, lambda: [click.echo(f"{v['slug']}\t{v['issuer']}") for v in views])


@tenant.command("show")
@click.argument("slug")
@json_option
def tenant_show(slug: str, as_json: bool) -> None:
    """Show tenant SLUG and its issuer."""
    view = _view(tenant_admin.show_tenant(admin(), slug))
    emit(as_json, view, lambda: echo_fields(view))
