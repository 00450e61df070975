"""``authserver client update`` and ``client rotate-secret``: change a registration,
keeping its secret, and replace the secret with an overlap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from authserver.cli.clients import backchannel_options, client, load_jwks, on_off
from authserver.cli.common import DURATION, SettingType, admin, emit, json_option, tenant_option
from authserver.services import client_admin
from authserver.services import clients as client_service
from authserver.services.claim_mapping import ClaimsEdit
from authserver.services.client_changes import INHERIT, ClientChanges, ListEdit
from authserver.services.keys import SUPPORTED_ALGS
from authserver.settings import parse_duration


def _limit(raw: object) -> int:
    return INHERIT if str(raw).strip().lower() == "inherit" else parse_duration(raw)


LIMIT = SettingType("duration", _limit)


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
        name=options["name"], auth_method=options["auth_method"],
        grant_types=options["grant_types"] or None,
        redirect_uris=edits["redirect_uri"],
        post_logout_redirect_uris=edits["post_logout_redirect_uri"], scopes=edits["scope"],
        web_origins=edits["web_origin"], application_type=options["application_type"],
        id_token_alg=options["id_token_alg"], access_token_alg=options["access_token_alg"],
        require_pkce=options["require_pkce"], require_state=options["require_state"],
        first_party=options["first_party"],
        refresh_token_idle_ttl=options["refresh_token_idle_ttl"],
        refresh_token_absolute_ttl=options["refresh_token_absolute_ttl"],
        jwks=load_jwks(options["jwks_path"]), jwks_uri=options["jwks_uri"],
        backchannel_logout_uri=options["backchannel_logout_uri"],
        backchannel_logout_session_required=on_off(options["backchannel_session"]),
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
@click.option("--auth-method", type=click.Choice(client_service.AUTH_METHODS),
              help="Token endpoint authentication, between the confidential methods. "
                   "client_secret_basic and client_secret_post share the secret; taking "
                   "up a secret method prints a new secret once, leaving one drops it.")
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
@click.option("--refresh-token-idle-ttl", type=LIMIT, metavar="DURATION|inherit",
              help="Refresh token idle limit for this client ('inherit': the tenant's).")
@click.option("--refresh-token-absolute-ttl", type=LIMIT, metavar="DURATION|inherit",
              help="Refresh token absolute limit for this client ('inherit': the "
                   "tenant's).")
@click.option("--jwks", "jwks_path", metavar="FILE",
              help="Replace the JWK Set (private_key_jwt); drops a jwks_uri.")
@click.option("--jwks-uri", help="Replace the JWK Set URL (private_key_jwt); drops a jwks.")
@backchannel_options
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
    """Change a client's registration, keeping its secret. The client_id and its
    public/confidential kind stay as they are."""
    changes = _changes(options)
    if changes.is_empty:
        raise click.UsageError("nothing to update; give at least one option (see --help)")
    updated = client_admin.update_client(admin(), tenant_slug, client_id, changes)
    changed = updated.changed
    view = {**updated.summary, "changed": changed}
    if updated.client_secret is not None:
        view["client_secret"] = updated.client_secret

    def human() -> None:
        click.echo(f"updated client {client_id}: {', '.join(changed)}" if changed
                   else f"client {client_id} already had these values; nothing changed")
        if updated.client_secret is not None:
            click.echo(f"client_secret: {updated.client_secret}")
            click.echo("(the secret is shown only now; it is stored as a hash)")

    emit(as_json, view, human)


def _overlap(raw: object) -> int:
    # 0 is a real choice here (end the old secret now), which durations elsewhere refuse.
    if str(raw).strip() in ("0", "0s", "0m", "0h", "0d"):
        return 0
    return parse_duration(raw)


@client.command("rotate-secret")
@tenant_option
@click.argument("client_id")
@click.option("--overlap", type=SettingType("duration", _overlap), default="24h",
              show_default=True, metavar="DURATION",
              help="How long the old secret keeps working beside the new one (0: it stops "
                   "now; at most 30d). An older secret kept by a previous rotation stops "
                   "now either way.")
@click.option("--expires-in", "lifetime", type=DURATION, metavar="DURATION",
              help="The new secret stops working after this (RFC 7591 "
                   "client_secret_expires_at); default: never.")
@json_option
def client_rotate_secret(tenant_slug: str, client_id: str, overlap: int,
                         lifetime: int | None, as_json: bool) -> None:
    """Give a client a new secret, printed once; the old one works for --overlap more."""
    rotated = client_admin.rotate_secret(
        admin(), tenant_slug, client_id, dt.timedelta(seconds=overlap),
        dt.timedelta(seconds=lifetime) if lifetime is not None else None)
    view = rotated.view()

    def human() -> None:
        click.echo(f"client_id:     {client_id}")
        click.echo(f"client_secret: {rotated.client_secret}")
        click.echo("(the secret is shown only now; it is stored as a hash)")
        ends = view["previous_secret_expires_at"]
        click.echo(f"the old secret works until {ends}" if ends
                   else "the old secret no longer works")
        if view["client_secret_expires_at"]:
            click.echo(f"the new secret expires at {view['client_secret_expires_at']}")

    emit(as_json, view, human)
