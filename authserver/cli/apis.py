"""``authserver api``: a tenant's APIs (resource servers) and clients' grants to them."""

from __future__ import annotations

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
from authserver.services import api_admin, api_grants
from authserver.services.keys import SUPPORTED_ALGS

identifier_option = click.option("--identifier", required=True, metavar="URI",
                                 help="The API's identifier (its tokens' aud; the RFC 8707 "
                                      "resource that asks for them).")


@cli.group()
def api() -> None:
    """APIs (resource servers): audiences, scopes, token lifetime and algorithm."""


def _scopes(values: tuple[str, ...]) -> list[str]:
    return [s for text in values for s in text.split()]


def _print_api(view: dict[str, Any]) -> None:
    echo_fields({**view, "scopes": " ".join(view["scopes"]),
                 "introspection_clients": " ".join(view["introspection_clients"])})


@api.command("create")
@tenant_option
@identifier_option
@click.option("--name", required=True, help="Display name.")
@click.option("--scope", "scopes", multiple=True, metavar="SCOPE",
              help="A scope of the API, resource:action (repeatable; spaces split too).")
@click.option("--token-lifetime", type=DURATION, metavar="SECONDS",
              help="Lifetime of access tokens for this API (default: ACCESS_TOKEN_TTL).")
@click.option("--alg", type=click.Choice(SUPPORTED_ALGS),
              help="Signing algorithm of access tokens for this API (default: the client's).")
@click.option("--introspection-client", "introspection_clients", multiple=True,
              metavar="CLIENT_ID", help="A confidential client acting as this API's "
              "resource server: it may introspect the API's tokens (repeatable).")
@json_option
def api_create(tenant_slug: str, identifier: str, name: str, scopes: tuple[str, ...],
               token_lifetime: int | None, alg: str | None,
               introspection_clients: tuple[str, ...], as_json: bool) -> None:
    """Register an API."""
    view = api_admin.create_api(admin(), tenant_slug, api_admin.ApiSpec(
        identifier=identifier, name=name, scopes=_scopes(scopes),
        access_token_ttl=token_lifetime, access_token_alg=alg,
        introspection_clients=introspection_clients))
    emit(as_json, view, lambda: click.echo(f"registered API {view['identifier']}"))


@api.command("list")
@tenant_option
@json_option
def api_list(tenant_slug: str, as_json: bool) -> None:
    """List the tenant's APIs, the built-in admin API first."""
    views = api_admin.list_apis(admin(), tenant_slug)
    emit(as_json, views, lambda: [click.echo(
        f"{v['identifier']}\t{v['name']}\t{' '.join(v['scopes'])}"
        + ("\t(built in)" if v["builtin"] else "")) for v in views])


@api.command("show")
@tenant_option
@identifier_option
@json_option
def api_show(tenant_slug: str, identifier: str, as_json: bool) -> None:
    """Show an API."""
    view = api_admin.show_api(admin(), tenant_slug, identifier)
    emit(as_json, view, lambda: _print_api(view))


@api.command("update")
@tenant_option
@identifier_option
@click.option("--name", help="Display name.")
@click.option("--scope", "scopes", multiple=True, metavar="SCOPE",
              help="Replace the API's scopes (repeatable).")
@click.option("--token-lifetime", type=click.IntRange(min=0), metavar="SECONDS",
              help="Lifetime of its access tokens; 0: back to ACCESS_TOKEN_TTL.")
@click.option("--alg", type=click.Choice([*SUPPORTED_ALGS, "default"]),
              help="Signing algorithm of its access tokens; default: the client's.")
@click.option("--introspection-client", "introspection_clients", multiple=True,
              metavar="CLIENT_ID", help="Replace the clients that may introspect its "
              "tokens (repeatable).")
@click.option("--no-introspection-clients", is_flag=True,
              help="No client introspects its tokens (except each token's own client).")
@json_option
def api_update(tenant_slug: str, identifier: str, name: str | None, scopes: tuple[str, ...],
               token_lifetime: int | None, alg: str | None,
               introspection_clients: tuple[str, ...], no_introspection_clients: bool,
               as_json: bool) -> None:
    """Change an API (the built-in admin API cannot be changed)."""
    if introspection_clients and no_introspection_clients:
        raise click.UsageError("give --introspection-client or --no-introspection-clients")
    clients = [] if no_introspection_clients else (list(introspection_clients) or None)
    changes = api_admin.ApiChanges(
        name=name, scopes=_scopes(scopes) if scopes else None, access_token_ttl=token_lifetime,
        access_token_alg="" if alg == "default" else alg, introspection_clients=clients)
    if changes == api_admin.ApiChanges():
        raise click.UsageError("nothing to update; give at least one option (see --help)")
    view = api_admin.update_api(admin(), tenant_slug, identifier, changes)
    emit(as_json, view, lambda: click.echo(
        f"updated API {identifier}: {', '.join(view['changed'])}" if view["changed"]
        else f"API {identifier} already had these values; nothing changed"))


@api.command("delete")
@tenant_option
@identifier_option
def api_delete(tenant_slug: str, identifier: str) -> None:
    """Delete an API and every client's direct grant to it."""
    api_admin.delete_api(admin(), tenant_slug, identifier)
    click.echo(f"deleted API {identifier}")


def _grant_options(command: Any) -> Any:
    for option in reversed((
            tenant_option,
            click.option("--api", "identifier", required=True, metavar="URI",
                         help="The API's identifier."),
            click.option("--client", "client_id", required=True, metavar="CLIENT_ID",
                         help="The client."),
            click.option("--scope", "scopes", multiple=True, metavar="SCOPE",
                         help="A scope of the API (repeatable)."),
            json_option)):
        command = option(command)
    return command


def _print_grants(grants: list[dict[str, Any]]) -> None:
    for grant in grants:
        click.echo(f"{grant['api']}\t{' '.join(grant['scopes'])}")


@api.command("grant")
@_grant_options
def api_grant(tenant_slug: str, identifier: str, client_id: str, scopes: tuple[str, ...],
              as_json: bool) -> None:
    """Allow a client an API, with these of its scopes (added to what it holds)."""
    grants = api_grants.grant_api(admin(), tenant_slug, identifier, client_id, _scopes(scopes))
    emit(as_json, grants, lambda: _print_grants(grants))


@api.command("revoke")
@_grant_options
def api_revoke(tenant_slug: str, identifier: str, client_id: str, scopes: tuple[str, ...],
               as_json: bool) -> None:
    """Take scopes of an API away from a client; without --scope, the whole API."""
    grants = api_grants.revoke_api(admin(), tenant_slug, identifier, client_id, _scopes(scopes))
    emit(as_json, grants, lambda: _print_grants(grants))


@api.command("grants")
@tenant_option
@click.option("--client", "client_id", required=True, metavar="CLIENT_ID")
@json_option
def api_grants_list(tenant_slug: str, client_id: str, as_json: bool) -> None:
    """A client's direct grants (its access groups add to them)."""
    grants = api_grants.client_api_grants(admin(), tenant_slug, client_id)
    emit(as_json, grants, lambda: _print_grants(grants))
