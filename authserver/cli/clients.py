"""``authserver client``: create, list, show, delete (update and rotate-secret are in
cli/client_changes.py)."""

from __future__ import annotations

import json
from typing import Any

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
from authserver.services import client_admin
from authserver.services import clients as client_service
from authserver.services.errors import InvalidInput
from authserver.services.keys import SUPPORTED_ALGS


@cli.group()
def client() -> None:
    """OAuth clients (applications)."""


def load_jwks(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InvalidInput("jwks", f"cannot read a JSON key set from {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise InvalidInput("jwks", f"{path} is not a JWK Set ({{\"keys\": [...]}})")
    return data


def _spec(options: dict[str, Any]) -> client_service.ClientSpec:
    scope = options["scope"]
    return client_service.ClientSpec(
        name=options["name"], public=options["public"], grant_types=options["grant_types"],
        redirect_uris=options["redirect_uris"],
        post_logout_redirect_uris=options["logout_uris"],
        scopes=scope.split() if scope is not None else None,
        auth_method=options["auth_method"], first_party=options["first_party"],
        require_pkce=not options["no_pkce"], require_state=not options["no_state"],
        id_token_alg=options["id_token_alg"], access_token_alg=options["access_token_alg"],
        jwks=load_jwks(options["jwks_path"]), jwks_uri=options["jwks_uri"],
        client_id=options["client_id"],
        refresh_token_idle_ttl=options["refresh_token_idle_ttl"],
        refresh_token_absolute_ttl=options["refresh_token_absolute_ttl"],
        web_origins=options["web_origins"], application_type=options["application_type"],
        backchannel_logout_uri=options["backchannel_logout_uri"] or None,
        backchannel_logout_session_required=bool(on_off(options["backchannel_session"])),
        explicit_errors=options["explicit_errors"],
    )


def backchannel_options(command: Any) -> Any:
    """--backchannel-logout-uri and --backchannel-logout-session-required (OIDC
    Back-Channel Logout 1.0), the same on create and update."""
    command = click.option(
        "--backchannel-logout-session-required", "backchannel_session",
        type=click.Choice(["on", "off"]),
        help="Whether the client needs sid in its logout tokens (they always carry sid "
             "and sub; recorded for the client's registration).")(command)
    return click.option(
        "--backchannel-logout-uri", metavar="URI",
        help="Where logout tokens are POSTed when a session the client took part in ends "
             "(https, or http on loopback; no fragment). On update, '' removes it.")(command)


def on_off(value: str | None) -> bool | None:
    return None if value is None else value == "on"


@client.command("create")
@tenant_option
@click.option("--name", required=True, help="Name shown on the consent screen.")
@click.option("--public", is_flag=True, help="Public client (SPA, native app): no secret, PKCE.")
@click.option("--grant-type", "grant_types", multiple=True, metavar="TYPE",
              type=click.Choice(client_service.GRANT_TYPES),
              help="Allowed grant (repeatable). Default: authorization_code, refresh_token.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, metavar="URI",
              help="Exact redirect URI (repeatable).")
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, metavar="URI",
              help="Exact post-logout redirect URI (repeatable).")
@click.option("--scope", help="Space-separated scopes the client may request (default: "
              "openid profile email with authorization_code; other clients must name theirs).")
@click.option("--auth-method", type=click.Choice(client_service.AUTH_METHODS),
              help="Token endpoint authentication (default client_secret_basic; none if public).")
@click.option("--jwks", "jwks_path", metavar="FILE", help="Client's JWK Set (private_key_jwt).")
@click.option("--jwks-uri", help="Client's JWK Set URL (private_key_jwt).")
@click.option("--first-party", is_flag=True, help="Trusted first-party app: skip consent.")
@click.option("--no-pkce", "no_pkce", is_flag=True,
              help="Do not require PKCE (confidential clients only; not recommended).")
@click.option("--no-state", "no_state", is_flag=True, help="Do not require the state parameter.")
@click.option("--id-token-alg", type=click.Choice(SUPPORTED_ALGS), default="RS256",
              show_default=True, help="ID token signing algorithm.")
@click.option("--access-token-alg", type=click.Choice(SUPPORTED_ALGS), default="ES256",
              show_default=True, help="Access token signing algorithm.")
@click.option("--refresh-token-idle-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token idle limit for this client (default: tenant's, else 7d).")
@click.option("--refresh-token-absolute-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token absolute limit for this client (default: tenant's, else 30d).")
@click.option("--client-id", help="Choose the client_id (default: random).")
@click.option("--web-origin", "web_origins", multiple=True, metavar="ORIGIN",
              help="Browser origin allowed to call token, revocation and userinfo (CORS), "
                   "e.g. https://app.example (repeatable).")
@click.option("--application-type", type=click.Choice(client_service.APPLICATION_TYPES),
              help="web or native (default: native for public clients without web "
                   "origins, else web). Only native apps may vary a loopback port.")
@backchannel_options
@click.option("--explicit-errors", is_flag=True,
              help="The sign-up API tells this client the precise reason for a refusal "
                   "(e.g. email taken) when it authenticates with its secret.")
@json_option
def client_create(tenant_slug: str, as_json: bool, **options: Any) -> None:
    """Register a client; a generated secret is printed once and stored only as a hash."""
    spec = _spec(options)  # a key set file is read, or refused, before settings load
    created = client_admin.create_client(admin(), tenant_slug, spec)
    out: dict[str, Any] = {"client_id": created.client_id}
    if created.client_secret is not None:
        out["client_secret"] = created.client_secret

    def human() -> None:
        click.echo(f"client_id:     {out['client_id']}")
        if "client_secret" in out:
            click.echo(f"client_secret: {out['client_secret']}")
            click.echo("(the secret is shown only now; it is stored as a hash)")

    emit(as_json, out, human)


@client.command("list")
@tenant_option
@json_option
def client_list(tenant_slug: str, as_json: bool) -> None:
    """List a tenant's clients."""
    views = client_admin.list_clients(admin(), tenant_slug)
    emit(as_json, views, lambda: [click.echo(f"{v['client_id']}\t{v['name']}") for v in views])


@client.command("show")
@tenant_option
@click.argument("client_id")
@json_option
def client_show(tenant_slug: str, client_id: str, as_json: bool) -> None:
    """Show a client's registration (never its secret)."""
    view = client_admin.show_client(admin(), tenant_slug, client_id)
    emit(as_json, view, lambda: echo_fields(view))


@client.command("delete")
@tenant_option
@click.argument("client_id")
def client_delete(tenant_slug: str, client_id: str) -> None:
    """Delete a client."""
    client_admin.delete_client(admin(), tenant_slug, client_id)
    click.echo(f"deleted client {client_id}")
