"""``authserver client``: create, list, show, update, delete."""

from __future__ import annotations

import json
from collections.abc import Callable
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
from authserver.services.claim_mapping import ClaimsEdit
from authserver.services.client_changes import ClientChanges, ListEdit
from authserver.services.errors import InvalidInput
from authserver.services.keys import SUPPORTED_ALGS


@cli.group()
def client() -> None:
    """OAuth clients (applications)."""


def _load_jwks(path: str | None) -> dict[str, Any] | None:
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
        jwks=_load_jwks(options["jwks_path"]), jwks_uri=options["jwks_uri"],
        client_id=options["client_id"],
        refresh_token_idle_ttl=options["refresh_token_idle_ttl"],
        refresh_token_absolute_ttl=options["refresh_token_absolute_ttl"],
        web_origins=options["web_origins"], application_type=options["application_type"],
        backchannel_logout_uri=options["backchannel_logout_uri"] or None,
        backchannel_logout_session_required=bool(_on(options["backchannel_session"])),
        explicit_errors=options["explicit_errors"],
    )


def _backchannel_options(command: Any) -> Any:
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


def _on(value: str | None) -> bool | None:
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
@_backchannel_options
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


def _list_options(option: str, metavar: str, what: str) -> Callable[[Any], Any]:
    """--OPTION (repeatable) replaces a list; --add-OPTION / --remove-OPTION edit it."""
    dest = option.replace("-", "_")

    def decorate(command: Any) -> Any:
        for prefix, verb in (("remove-", "Remove"), ("add-", "Add"), ("", "Replace all with")):
            command = click.option(
                f"--{prefix}{option}", f"{prefix.replace('-', '_')}{dest}", multiple=True,
                metavar=metavar, help=f"{verb} {what} (repeatable).")(command)
        return command

    return decorate


def _edit(option: str, replace: tuple[str, ...], add: tuple[str, ...],
          remove: tuple[str, ...], split: bool = False) -> ListEdit:
    if replace and (add or remove):
        raise click.UsageError(f"--{option} replaces the list: give it, or --add-{option} "
                               f"and --remove-{option}, not both")

    def values(given: tuple[str, ...]) -> list[str]:
        return [v for text in given for v in text.split()] if split else list(given)

    return ListEdit(replace=values(replace) if replace else None, add=values(add),
                    remove=values(remove))


def _changes(options: dict[str, Any]) -> ClientChanges:
    edits = {key: _edit(option, options.pop(key), options.pop(f"add_{key}"),
                        options.pop(f"remove_{key}"), split=key == "scope")
             for key, option in (("redirect_uri", "redirect-uri"),
                                 ("post_logout_redirect_uri", "post-logout-redirect-uri"),
                                 ("scope", "scope"), ("web_origin", "web-origin"))}
    return ClientChanges(
        name=options["name"], grant_types=options["grant_types"] or None,
        redirect_uris=edits["redirect_uri"],
        post_logout_redirect_uris=edits["post_logout_redirect_uri"], scopes=edits["scope"],
        web_origins=edits["web_origin"], application_type=options["application_type"],
        id_token_alg=options["id_token_alg"], access_token_alg=options["access_token_alg"],
        require_pkce=options["require_pkce"], require_state=options["require_state"],
        first_party=options["first_party"],
        refresh_token_idle_ttl=options["refresh_token_idle_ttl"],
        refresh_token_absolute_ttl=options["refresh_token_absolute_ttl"],
        jwks=_load_jwks(options["jwks_path"]), jwks_uri=options["jwks_uri"],
        backchannel_logout_uri=options["backchannel_logout_uri"],
        backchannel_logout_session_required=_on(options["backchannel_session"]),
        explicit_errors=options["explicit_errors"], claims=_claims_edit(options))


def _claims_edit(options: dict[str, Any]) -> ClaimsEdit | None:
    roles, assign = options.pop("claims_roles"), options.pop("claim_attributes")
    remove = options.pop("remove_claim_attributes")
    if roles is None and not assign and not remove:
        return None
    pairs = {}
    for text in assign:
        key, sep, claim = text.partition("=")
        if not sep:
            raise click.UsageError(f"--claim-attribute {text!r}: give KEY=CLAIM")
        pairs[key] = claim
    return ClaimsEdit(roles=None if roles is None else [t for t in roles.split(",") if t],
                      set_attributes=pairs, remove_attributes=remove)


@client.command("update")
@tenant_option
@click.argument("client_id")
@click.option("--name", help="Name shown on the consent screen.")
@click.option("--grant-type", "grant_types", multiple=True, metavar="TYPE",
              type=click.Choice(client_service.GRANT_TYPES),
              help="Replace the allowed grants (repeatable).")
@_list_options("redirect-uri", "URI", "exact redirect URIs")
@_list_options("post-logout-redirect-uri", "URI", "exact post-logout redirect URIs")
@_list_options("scope", "SCOPES", "scopes (space-separated)")
@_list_options("web-origin", "ORIGIN", "browser origins allowed to call the token "
               "endpoints (CORS)")
@click.option("--application-type", type=click.Choice(client_service.APPLICATION_TYPES),
              help="web or native. Only native apps may vary a loopback port.")
@click.option("--id-token-alg", type=click.Choice(SUPPORTED_ALGS),
              help="ID token signing algorithm.")
@click.option("--access-token-alg", type=click.Choice(SUPPORTED_ALGS),
              help="Access token signing algorithm.")
@click.option("--pkce/--no-pkce", "require_pkce", default=None,
              help="Require PKCE (always on for public clients).")
@click.option("--state/--no-state", "require_state", default=None,
              help="Require the state parameter.")
@click.option("--first-party/--no-first-party", default=None,
              help="Trusted first-party app that skips consent.")
@click.option("--refresh-token-idle-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token idle limit for this client.")
@click.option("--refresh-token-absolute-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token absolute limit for this client.")
@click.option("--jwks", "jwks_path", metavar="FILE",
              help="Replace the JWK Set (private_key_jwt); drops a jwks_uri.")
@click.option("--jwks-uri", help="Replace the JWK Set URL (private_key_jwt); drops a jwks.")
@_backchannel_options
@click.option("--explicit-errors", type=click.Choice(["on", "off"]),
              callback=lambda _ctx, _param, value: None if value is None else value == "on",
              help="Whether the sign-up API tells this client the precise reason for a "
                   "refusal (it must authenticate with its secret).")
@click.option("--claims-roles", metavar="TARGETS",
              help="Where the user's roles go as a roles claim: comma-separated id_token, "
              "access_token, userinfo (\"\": nowhere).")
@click.option("--claim-attribute", "claim_attributes", multiple=True, metavar="KEY=CLAIM",
              help="Put the user attribute KEY in tokens as the claim CLAIM (repeatable).")
@click.option("--remove-claim-attribute", "remove_claim_attributes", multiple=True,
              metavar="KEY", help="Stop putting the user attribute KEY in tokens.")
@json_option
def client_update(tenant_slug: str, client_id: str, as_json: bool, **options: Any) -> None:
    """Change a client's registration. The client_id, secret, authentication method and
    public/confidential kind stay as they are."""
    changes = _changes(options)
    if changes.is_empty:
        raise click.UsageError("nothing to update; give at least one option (see --help)")
    updated = client_admin.update_client(admin(), tenant_slug, client_id, changes)
    changed = updated.changed
    view = {**updated.summary, "changed": changed}
    emit(as_json, view, lambda: click.echo(
        f"updated client {client_id}: {', '.join(changed)}" if changed
        else f"client {client_id} already had these values; nothing changed"))
