"""The ``authserver`` command: database, tenants, clients, users, keys, serving, demo.

Operators script these commands, so options and ``--json`` output are a stable
interface. Errors print one line to stderr: exit 2 for bad configuration or usage,
1 for a refused operation; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, NoReturn

import click
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from authserver.runtime import Runtime, build_runtime, ensure_default_tenant
from authserver.services import accounts
from authserver.services import clients as client_service
from authserver.services.accounts import NewUser, create_user, set_user_disabled
from authserver.services.client_changes import (
    ClientChanges,
    ListEdit,
    delete_client,
    get_client,
    update_client,
)
from authserver.services.envelope import DecryptionError
from authserver.services.errors import InvalidInput, NotFound, ServiceError
from authserver.services.keys import SUPPORTED_ALGS, KeyManager, key_state
from authserver.services.refresh_limits import RefreshLimits
from authserver.services.tenants import create_tenant, get_tenant, update_tenant
from authserver.settings import SettingsError, parse_bind, parse_duration
from authserver.storage import migrate
from authserver.storage.models import Tenant
from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    SigningKeyRepository,
    TenantRepository,
    UserRepository,
)

ACTOR = "cli"


class SettingType(click.ParamType):
    """A CLI option read with the same parser as its AUTHSERVER_* setting, so both
    accept exactly the same values and refuse the rest with the same message."""

    def __init__(self, name: str, parse: Callable[[Any], Any]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = SettingType("duration", parse_duration)
BIND = SettingType("bind", parse_bind)


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
tenant_option = click.option("--tenant", "tenant_slug", required=True, metavar="SLUG",
                             help="Tenant slug.")


class Failure(click.ClickException):
    exit_code = 1

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"authserver: {self.message}", err=True)


@cache
def _runtime() -> Runtime:
    return build_runtime()


@contextmanager
def unit_of_work() -> Iterator[tuple[Runtime, Session]]:
    rt = _runtime()
    with rt.database.session() as session:
        yield rt, session


def _global_limits(rt: Runtime) -> RefreshLimits:
    return RefreshLimits(rt.settings.refresh_token_idle_ttl,
                         rt.settings.refresh_token_absolute_ttl)


def emit(as_json: bool, data: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        human()


def tenant_view(rt: Runtime, tenant: Tenant) -> dict[str, Any]:
    issuer = rt.issuer(tenant.slug)
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "issuer": issuer,
        "discovery": f"{issuer}/.well-known/openid-configuration",
        "jwks_uri": f"{issuer}/jwks",
        "refresh_token_idle_ttl": tenant.refresh_token_idle_ttl,
        "refresh_token_absolute_ttl": tenant.refresh_token_absolute_ttl,
        "created_at": tenant.created_at.isoformat(),
    }


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """authserver: OAuth 2.0 / OpenID Connect authorization server."""


# --- db -----------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations and make sure the default tenant exists."""
    rt = _runtime()
    migrate.upgrade(rt.database)
    created = ensure_default_tenant(rt, ACTOR)
    click.echo(f"database at revision {migrate.current_revision(rt.database)}"
               + ("; created tenant 'default'" if created else ""))


@db.command("purge")
def db_purge() -> None:
    """Delete expired codes, grants, sessions, revocation records and keys (run from cron)."""
    rt = _runtime()
    now = rt.clock()
    totals: dict[str, int] = {}
    with rt.database.session() as session:
        tenants = list(TenantRepository(session).all())
        for row in tenants:
            totals["signing_keys"] = (totals.get("signing_keys", 0)
                                      + _key_manager(rt, session, row).purge_expired(now))
    for row in tenants:
        for table, count in rt.token_store(row.id).purge_expired(now).items():
            totals[table] = totals.get(table, 0) + count
    totals["throttle_buckets"] = rt.throttle.purge(now, dt.timedelta(hours=1))
    click.echo(", ".join(f"{table}: {count}" for table, count in sorted(totals.items())))


@db.command("current")
def db_current() -> None:
    """Show the schema revision the database is at."""
    rt = _runtime()
    click.echo(f"{migrate.current_revision(rt.database) or 'empty'} "
               f"(head {migrate.head_revision()})")


# --- tenants ------------------------------------------------------------------------------


@cli.group()
def tenant() -> None:
    """Tenants: each has its own issuer, keys, clients and users."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", help="Display name (defaults to the slug).")
@json_option
def tenant_create(slug: str, name: str | None, as_json: bool) -> None:
    """Create tenant SLUG with fresh RS256 and ES256 signing keys."""
    with unit_of_work() as (rt, session):
        row = create_tenant(session, rt.master_key, rt.key_timing, slug, name, ACTOR, rt.clock())
        view = tenant_view(rt, row)
    emit(as_json, view, lambda: click.echo(f"created tenant {slug}; issuer {view['issuer']}"))


@tenant.command("update")
@click.argument("slug")
@click.option("--name", help="New display name.")
@click.option("--refresh-token-idle-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token idle limit for this tenant's clients.")
@click.option("--refresh-token-absolute-ttl", type=DURATION, metavar="DURATION",
              help="Refresh token absolute limit for this tenant's clients.")
@json_option
def tenant_update(slug: str, name: str | None, refresh_token_idle_ttl: int | None,
                  refresh_token_absolute_ttl: int | None, as_json: bool) -> None:
    """Change a tenant's display name or refresh token limits."""
    if name is None and refresh_token_idle_ttl is None and refresh_token_absolute_ttl is None:
        raise click.UsageError("nothing to update; give at least one of --name, "
                               "--refresh-token-idle-ttl, --refresh-token-absolute-ttl")
    with unit_of_work() as (rt, session):
        row = update_tenant(session, slug, name, refresh_token_idle_ttl,
                            refresh_token_absolute_ttl, ACTOR, global_limits=_global_limits(rt))
        view = tenant_view(rt, row)
    emit(as_json, view, lambda: click.echo(f"updated tenant {slug}"))


@tenant.command("list")
@json_option
def tenant_list(as_json: bool) -> None:
    """List tenants."""
    with unit_of_work() as (rt, session):
        views = [tenant_view(rt, t) for t in TenantRepository(session).all()]
    emit(as_json, views, lambda: [click.echo(f"{v['slug']}\t{v['issuer']}") for v in views])


@tenant.command("show")
@click.argument("slug")
@json_option
def tenant_show(slug: str, as_json: bool) -> None:
    """Show tenant SLUG and its issuer."""
    with unit_of_work() as (rt, session):
        view = tenant_view(rt, get_tenant(session, slug))
    emit(as_json, view, lambda: [click.echo(f"{k}: {v}") for k, v in view.items()])


# --- clients ------------------------------------------------------------------------------


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
@json_option
def client_create(tenant_slug: str, name: str, public: bool, grant_types: tuple[str, ...],
                  redirect_uris: tuple[str, ...], logout_uris: tuple[str, ...],
                  scope: str | None, auth_method: str | None, jwks_path: str | None,
                  jwks_uri: str | None,
                  first_party: bool, no_pkce: bool, no_state: bool, id_token_alg: str,
                  access_token_alg: str, refresh_token_idle_ttl: int | None,
                  refresh_token_absolute_ttl: int | None, client_id: str | None,
                  web_origins: tuple[str, ...], application_type: str | None,
                  as_json: bool) -> None:
    """Register a client; a generated secret is printed once and stored only as a hash."""
    spec = client_service.ClientSpec(
        name=name, public=public, grant_types=grant_types, redirect_uris=redirect_uris,
        post_logout_redirect_uris=logout_uris,
        scopes=scope.split() if scope is not None else None, auth_method=auth_method,
        first_party=first_party, require_pkce=not no_pkce, require_state=not no_state,
        id_token_alg=id_token_alg, access_token_alg=access_token_alg,
        jwks=_load_jwks(jwks_path), jwks_uri=jwks_uri, client_id=client_id,
        refresh_token_idle_ttl=refresh_token_idle_ttl,
        refresh_token_absolute_ttl=refresh_token_absolute_ttl,
        web_origins=web_origins, application_type=application_type,
    )
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        registered = client_service.register_client(
            ClientRepository(session, row.id), AuditRepository(session, row.id), spec, ACTOR,
            global_limits=_global_limits(rt),
            allow_private_jwks_uri=rt.settings.jwks_uri_allow_private)
        # A client may choose an algorithm the tenant has no key for yet (PS256, EdDSA).
        _key_manager(rt, session, row).ensure_defaults(
            rt.clock(), ACTOR, algs=sorted({id_token_alg, access_token_alg}))
        out: dict[str, Any] = {"client_id": registered.client.client_id}
        if registered.client_secret is not None:
            out["client_secret"] = registered.client_secret

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
    with unit_of_work() as (_rt, session):
        row = get_tenant(session, tenant_slug)
        views = [client_service.client_summary(c) for c in ClientRepository(session, row.id).all()]
    emit(as_json, views, lambda: [click.echo(f"{v['client_id']}\t{v['name']}") for v in views])


def _get_client(session: Session, tenant_slug: str, client_id: str) -> tuple[Tenant, Any]:
    row = get_tenant(session, tenant_slug)
    return row, get_client(ClientRepository(session, row.id), client_id)


@client.command("show")
@tenant_option
@click.argument("client_id")
@json_option
def client_show(tenant_slug: str, client_id: str, as_json: bool) -> None:
    """Show a client's registration (never its secret)."""
    with unit_of_work() as (_rt, session):
        _row, found = _get_client(session, tenant_slug, client_id)
        view = client_service.client_summary(found)
    emit(as_json, view, lambda: [click.echo(f"{k}: {v}") for k, v in view.items()])


@client.command("delete")
@tenant_option
@click.argument("client_id")
def client_delete(tenant_slug: str, client_id: str) -> None:
    """Delete a client."""
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        delete_client(ClientRepository(session, row.id), AuditRepository(session, row.id),
                      client_id, ACTOR, cache=rt.clients)
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
@json_option
def client_update(tenant_slug: str, client_id: str, as_json: bool, **options: Any) -> None:
    """Change a client's registration. The client_id, secret, authentication method and
    public/confidential kind stay as they are."""
    edits = {key: _edit(option, options.pop(key), options.pop(f"add_{key}"),
                        options.pop(f"remove_{key}"), split=key == "scope")
             for key, option in (("redirect_uri", "redirect-uri"),
                                 ("post_logout_redirect_uri", "post-logout-redirect-uri"),
                                 ("scope", "scope"), ("web_origin", "web-origin"))}
    changes = ClientChanges(
        name=options["name"], grant_types=options["grant_types"] or None,
        redirect_uris=edits["redirect_uri"],
        post_logout_redirect_uris=edits["post_logout_redirect_uri"], scopes=edits["scope"],
        web_origins=edits["web_origin"], application_type=options["application_type"],
        id_token_alg=options["id_token_alg"], access_token_alg=options["access_token_alg"],
        require_pkce=options["require_pkce"], require_state=options["require_state"],
        first_party=options["first_party"],
        refresh_token_idle_ttl=options["refresh_token_idle_ttl"],
        refresh_token_absolute_ttl=options["refresh_token_absolute_ttl"],
        jwks=_load_jwks(options["jwks_path"]), jwks_uri=options["jwks_uri"])
    if changes.is_empty:
        raise click.UsageError("nothing to update; give at least one option (see --help)")
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        found, changed = update_client(
            ClientRepository(session, row.id), AuditRepository(session, row.id), client_id,
            changes, ACTOR, global_limits=_global_limits(rt), cache=rt.clients,
            allow_private_jwks_uri=rt.settings.jwks_uri_allow_private)
        algs = {found.id_token_signed_response_alg, found.access_token_signed_response_alg}
        _key_manager(rt, session, row).ensure_defaults(rt.clock(), ACTOR, algs=sorted(algs))
        view = {**client_service.client_summary(found), "changed": changed}
    emit(as_json, view, lambda: click.echo(
        f"updated client {client_id}: {', '.join(changed)}" if changed
        else f"client {client_id} already had these values; nothing changed"))


# --- users --------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """People who sign in."""


@user.command("create")
@tenant_option
@click.option("--email", required=True)
@click.option("--username")
@click.option("--given-name")
@click.option("--family-name")
@click.option("--email-verified", is_flag=True, help="Mark the email address as verified.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line).")
@json_option
def user_create(tenant_slug: str, email: str, username: str | None, given_name: str | None,
                family_name: str | None, email_verified: bool, password_stdin: bool,
                as_json: bool) -> None:
    """Create a user; the password is read from stdin so it never appears in `ps`."""
    password = _read_password() if password_stdin else None
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        new = NewUser(email=email, password=password, username=username, given_name=given_name,
                      family_name=family_name, email_verified=email_verified)
        created = create_user(UserRepository(session, row.id), AuditRepository(session, row.id),
                              new, ACTOR, rt.clock())
        out = {"sub": created.sub, "email": created.email, "password_set": password is not None}

    def human() -> None:
        click.echo(f"created user {out['email']} (sub {out['sub']})")
        if not out["password_set"]:
            # There are no invitations yet: say how this account becomes usable.
            click.echo(f"no password: {out['email']} cannot sign in until an operator runs "
                       f"`authserver user set-password --tenant {tenant_slug} "
                       f"--email {out['email']}`")

    emit(as_json, out, human)


def _user_identity(command: Any) -> Any:
    command = click.option("--sub", help="The user's sub (instead of --email).")(command)
    return click.option("--email", help="The user's email address.")(command)


def _one_identity(email: str | None, sub: str | None) -> None:
    if (email is None) == (sub is None):
        raise click.UsageError("name the user with --email or --sub (exactly one)")


def _find_user(session: Session, tenant_slug: str, email: str | None,
               sub: str | None) -> tuple[Tenant, Any]:
    _one_identity(email, sub)
    row = get_tenant(session, tenant_slug)
    return row, accounts.find_user(UserRepository(session, row.id), email, sub)


@user.command("list")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="At most this many users, oldest first.")
@json_option
def user_list(tenant_slug: str, limit: int, as_json: bool) -> None:
    """List a tenant's users (never their password hashes)."""
    with unit_of_work() as (_rt, session):
        row = get_tenant(session, tenant_slug)
        views = [accounts.user_view(u)
                 for u in accounts.list_users(UserRepository(session, row.id), limit)]
    emit(as_json, views, lambda: [click.echo(
        f"{v['sub']}\t{v['email']}" + ("\tdisabled" if v["disabled"] else "")) for v in views])


@user.command("show")
@tenant_option
@_user_identity
@json_option
def user_show(tenant_slug: str, email: str | None, sub: str | None, as_json: bool) -> None:
    """Show a user's profile and state."""
    with unit_of_work() as (_rt, session):
        view = accounts.user_view(_find_user(session, tenant_slug, email, sub)[1])
    emit(as_json, view, lambda: [click.echo(f"{k}: {v}") for k, v in view.items()])


@user.command("update")
@tenant_option
@_user_identity
@click.option("--new-email", help="Change the email address (it becomes unverified unless "
              "--email-verified is given too).")
@click.option("--username", help="Set the username.")
@click.option("--no-username", is_flag=True, help="Remove the username.")
@click.option("--given-name", help="Set the given name.")
@click.option("--no-given-name", is_flag=True, help="Remove the given name.")
@click.option("--family-name", help="Set the family name.")
@click.option("--no-family-name", is_flag=True, help="Remove the family name.")
@click.option("--email-verified/--email-unverified", default=None,
              help="Mark the email address verified or not.")
@json_option
def user_update(tenant_slug: str, email: str | None, sub: str | None, new_email: str | None,
                username: str | None, no_username: bool, given_name: str | None,
                no_given_name: bool, family_name: str | None, no_family_name: bool,
                email_verified: bool | None, as_json: bool) -> None:
    """Change a user's email, username, names or email verification."""
    clear = frozenset(name for name, flag in (("username", no_username),
                                              ("given_name", no_given_name),
                                              ("family_name", no_family_name)) if flag)
    for name in clear:
        if {"username": username, "given_name": given_name,
                "family_name": family_name}[name] is not None:
            option = name.replace("_", "-")
            raise click.UsageError(f"--{option} and --no-{option} contradict each other")
    changes = accounts.UserChanges(email=new_email, username=username, given_name=given_name,
                                   family_name=family_name, email_verified=email_verified,
                                   clear=clear)
    if changes.is_empty:
        raise click.UsageError("nothing to update; give at least one of --new-email, "
                               "--username, --given-name, --family-name, --email-verified "
                               "(or a --no-… / --email-unverified)")
    with unit_of_work() as (_rt, session):
        row, found = _find_user(session, tenant_slug, email, sub)
        changed = accounts.update_user(UserRepository(session, row.id),
                                       AuditRepository(session, row.id), found, changes, ACTOR)
        view = {**accounts.user_view(found), "changed": changed}
    emit(as_json, view, lambda: click.echo(
        f"updated user {view['email']}: {', '.join(changed)}" if changed
        else f"user {view['email']} already had these values; nothing changed"))


@user.command("set-password")
@tenant_option
@_user_identity
def user_set_password(tenant_slug: str, email: str | None, sub: str | None) -> None:
    """Set a user's password from the first line of standard input (argon2id)."""
    _one_identity(email, sub)  # before reading a secret that would then be thrown away
    password = _read_password()
    with unit_of_work() as (rt, session):
        row, found = _find_user(session, tenant_slug, email, sub)
        accounts.set_password(UserRepository(session, row.id), AuditRepository(session, row.id),
                              found, password, ACTOR, rt.clock())
        who = found.email
    click.echo(f"password set for {who}")


@user.command("disable")
@tenant_option
@click.option("--email", required=True)
def user_disable(tenant_slug: str, email: str) -> None:
    """Stop a user signing in; ends their sessions and revokes their grants and tokens."""
    _set_disabled(tenant_slug, email, True)
    click.echo(f"disabled {email}")


@user.command("enable")
@tenant_option
@click.option("--email", required=True)
def user_enable(tenant_slug: str, email: str) -> None:
    """Let a disabled user sign in again (nothing issued before the disable revives)."""
    _set_disabled(tenant_slug, email, False)
    click.echo(f"enabled {email}")


def _set_disabled(tenant_slug: str, email: str, disabled: bool) -> None:
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        set_user_disabled(UserRepository(session, row.id), AuditRepository(session, row.id),
                          email, disabled, ACTOR, rt.clock())


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise InvalidInput("password", "nothing was read from standard input")
    return password


# --- consent ------------------------------------------------------------------------------


@cli.group()
def consent() -> None:
    """What people have allowed applications to do."""


def _user_id(session: Session, tenant_id: int, email: str) -> int:
    found = UserRepository(session, tenant_id).by_email(email.strip().lower())
    if found is None:
        raise NotFound(f"no user {email!r} in this tenant")
    return found.id


@consent.command("list")
@tenant_option
@click.option("--email", required=True)
@json_option
def consent_list(tenant_slug: str, email: str, as_json: bool) -> None:
    """List the applications a user has consented to, with the scopes."""
    from authserver.services.consent import ConsentService

    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        user_id = _user_id(session, row.id, email)
    views = ConsentService(rt.database, row.id).all_for_user(user_id)
    emit(as_json, views, lambda: [click.echo(f"{v['client_id']}\t{' '.join(v['scopes'])}")
                                  for v in views])


@consent.command("revoke")
@tenant_option
@click.option("--email", required=True)
@click.option("--client", "client_id", required=True, help="client_id of the application.")
def consent_revoke(tenant_slug: str, email: str, client_id: str) -> None:
    """Withdraw consent: the app must ask again, and its tokens for the user stop working."""
    from authserver.services.consent import ConsentService

    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        user_id = _user_id(session, row.id, email)
        get_client(ClientRepository(session, row.id), client_id)
    revoked = ConsentService(rt.database, row.id).revoke(user_id, client_id, rt.clock(), ACTOR)
    # Nothing to revoke is still success: the state asked for (no consent, no grants)
    # holds, so scripts that make sure of it stay idempotent. Unknown names are refused.
    click.echo(f"consent withdrawn; {revoked.grants} grant(s) revoked" if revoked else
               f"nothing to revoke: {email} has no consent or grants for {client_id}")


# --- keys ---------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """Signing keys: list, rotate, revoke."""


def _key_manager(rt: Runtime, session: Session, row: Tenant) -> KeyManager:
    return KeyManager(SigningKeyRepository(session, row.id), AuditRepository(session, row.id),
                      row, rt.master_key, rt.key_timing)


def _key_view(key: Any, now: dt.datetime) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"kid": key.kid, "alg": key.alg, "state": key_state(key, now),
            "activates_at": iso(key.activates_at), "retires_at": iso(key.retires_at),
            "expires_at": iso(key.expires_at), "revoked_at": iso(key.revoked_at)}


@keys.command("list")
@tenant_option
@json_option
def keys_list(tenant_slug: str, as_json: bool) -> None:
    """List a tenant's keys and their lifecycle state."""
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        now = rt.clock()
        views = [_key_view(k, now) for k in SigningKeyRepository(session, row.id).all()]

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
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        now = rt.clock()
        manager = _key_manager(rt, session, row)
        manager.purge_expired(now)
        # Once each: a repeated --alg would create two successors that both sign.
        created = manager.rotate(now, ACTOR, list(dict.fromkeys(algs)) or None, immediate)
        views = [_key_view(k, now) for k in created]
    rt.keyring.invalidate()

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
    with unit_of_work() as (rt, session):
        row = get_tenant(session, tenant_slug)
        replacement = _key_manager(rt, session, row).revoke(kid, rt.clock(), ACTOR)
    rt.keyring.invalidate()
    click.echo(f"revoked {kid}" + (f"; {replacement.kid} signs from now" if replacement else ""))


# --- serve and demo -----------------------------------------------------------------------


@cli.command()
@click.option("--bind", type=BIND, metavar="HOST:PORT",
              help="Where to listen (default: AUTHSERVER_BIND, else 127.0.0.1:8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request on stdout (paths only, never query strings).")
def serve(bind: str | None, workers: int, threads: int, access_log: bool) -> None:
    """Serve under gunicorn (gthread workers keep connections alive)."""
    from authserver.serve import serve as run_server

    rt = _runtime()  # validate settings and the master key before forking workers
    run_server(bind=bind or rt.settings.bind, workers=workers, threads=threads,
               access_log=access_log)


@cli.command()
@json_option
def demo(as_json: bool) -> None:
    """Development only: create (if absent) a demo tenant, clients and user, and print
    their credentials (kept in instance/demo-credentials.json, reused while valid)."""
    from authserver.demo import ensure_demo

    data = ensure_demo(_runtime(), ACTOR)  # refuses with AUTHSERVER_ENV=production
    emit(as_json, data, lambda: click.echo(_demo_text(data)))


def _demo_text(data: dict[str, Any]) -> str:
    user = data["user"]
    lines = [f"Demo relying party: {data['demo_rp']}",
             f"  sign in there as {user['email']} with password {user['password']}", "",
             f"Demo tenant issuer: {data['issuer']}",
             f"Discovery:          {data['issuer']}/.well-known/openid-configuration",
             f"JWKS:               {data['jwks_uri']}", ""]
    for c in data["clients"]:
        lines.append(f"{c['name']}: client_id={c['client_id']}"
                     + (f" client_secret={c['client_secret']}" if c.get("client_secret") else ""))
    lines += ["", f"Demo user: {user['email']} / password {user['password']}",
              f"(kept in {data['credentials_file']} and reused by the next `authserver demo`)"]
    return "\n".join(lines)


# --- entry point --------------------------------------------------------------------------


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"authserver: {message}", err=True)
    raise SystemExit(status)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="authserver: %(levelname)s: %(message)s")
    try:
        cli.main(args=argv, prog_name="authserver", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        _fail("aborted", 1)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except SettingsError as exc:
        _fail(f"configuration error: {exc}", 2)
    except ServiceError as exc:
        _fail(str(exc), 1)
    except DecryptionError as exc:
        _fail(f"cannot decrypt keys: {exc}", 1)
    except (OperationalError, ProgrammingError, IntegrityError) as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        _fail(f"database error: {detail} (is the database reachable, and did you run "
              "`authserver db upgrade`?)", 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":
    main()
