"""``authserver tenant``: create, update, list, show."""

from __future__ import annotations

import json
from typing import Any

import click

from authserver.cli.common import DURATION, admin, cli, echo_fields, emit, json_option, runtime
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.branding import MAX_LOGO_BYTES, BrandingChange
from authserver.services.registration_settings import MODES, RegistrationChange
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


class _DurationOrOff(click.ParamType):
    """A duration, or ``off`` (stored as 0: the setting is cleared)."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, str) and value.strip().lower() in ("off", "never"):
            return 0
        return int(DURATION.convert(value, param, ctx))


DURATION_OR_OFF = _DurationOrOff()


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
@click.option("--signup", type=ON_OFF, help="Let people create their own accounts.")
@click.option("--signup-domains", metavar="LIST",
              help="Only emails in these domains may sign up (comma-separated; \"\": any).")
@click.option("--default-role", metavar="NAME",
              help="The role new self-signed-up users get (\"\": none).")
@click.option("--password-min-length", type=click.IntRange(min=1), metavar="N",
              help="Shortest password accepted (default 12, at least 8).")
@click.option("--password-max-length", type=click.IntRange(min=1), metavar="N",
              help="Longest password accepted (default 128; 128-1024; never truncated).")
@click.option("--password-min-score", type=click.IntRange(0, 4), metavar="0-4",
              help="Strength (zxcvbn score) a new password must reach (default 2).")
@click.option("--password-history", type=click.IntRange(min=0), metavar="N",
              help="How many earlier passwords cannot be reused (0: none).")
@click.option("--password-history-period", type=DURATION_OR_OFF, metavar="DURATION",
              help="Nor any password used within this period (off: no period).")
@click.option("--password-max-age", type=DURATION_OR_OFF, metavar="DURATION",
              help="Passwords must be changed this long after they were set (off: never).")
@click.option("--single-session", type=ON_OFF,
              help="A new sign-in ends the user's other sessions.")
@click.option("--brand-name", metavar="NAME",
              help="Name shown on the hosted pages (the display name, like --name).")
@click.option("--brand-color", metavar="#RGB",
              help="Primary colour of the hosted pages: #rgb or #rrggbb (\"\": default).")
@click.option("--brand-logo-url", metavar="URL",
              help="Logo shown on the hosted pages, an https URL (\"\": none).")
@click.option("--brand-logo-file", metavar="PATH",
              help="Upload a PNG, JPEG or WebP logo of at most 256 KiB (\"\": none).")
@click.option("--registration", type=click.Choice(list(MODES)),
              help="Dynamic client registration: off, initial-access-token or open.")
@click.option("--require-software-statement", type=ON_OFF,
              help="Register only clients presenting a trusted software statement.")
@click.option("--software-statement-issuer", metavar="ISS",
              help="Trust software statements from ISS (with --software-statement-jwks-file).")
@click.option("--software-statement-jwks-file", metavar="PATH",
              help="The JWKS that ISS's software statements are verified against.")
@click.option("--remove-software-statement-issuer", metavar="ISS",
              help="Stop trusting software statements from ISS.")
@json_option
def tenant_update(slug: str, name: str | None, refresh_token_idle_ttl: int | None,
                  refresh_token_absolute_ttl: int | None, mfa: str | None,
                  mfa_methods: str | None, magic_links: str | None,
                  phone_sign_in: str | None, session_idle_ttl: int | None,
                  session_absolute_ttl: int | None, signup: str | None,
                  signup_domains: str | None, default_role: str | None,
                  password_min_length: int | None, password_max_length: int | None,
                  password_min_score: int | None, password_history: int | None,
                  password_history_period: int | None, password_max_age: int | None,
                  single_session: str | None, brand_name: str | None,
                  brand_color: str | None, brand_logo_url: str | None,
                  brand_logo_file: str | None, registration: str | None,
                  require_software_statement: str | None,
                  software_statement_issuer: str | None,
                  software_statement_jwks_file: str | None,
                  remove_software_statement_issuer: str | None, as_json: bool) -> None:
    """Change a tenant's display name, refresh token limits, sign-in policy, session
    limits, account policy (sign-up, passwords, single session), branding or dynamic
    client registration."""
    if brand_name is not None:
        if name is not None and name != brand_name:
            raise click.UsageError("--name and --brand-name both set the display name; "
                                   "give one")
        name = brand_name
    brand = BrandingChange(brand_color, brand_logo_url, _logo_file(brand_logo_file))
    sign_in = SignInPolicyChange(mfa, mfa_methods, _switch(magic_links),
                                 _switch(phone_sign_in))
    sessions = SessionLimitsChange(session_idle_ttl, session_absolute_ttl)
    accounts = AccountPolicyChange(
        _switch(signup), signup_domains, default_role, password_min_length,
        password_max_length, password_min_score, password_history, password_history_period,
        password_max_age, _switch(single_session))
    dcr_change = RegistrationChange(
        registration, _switch(require_software_statement),
        _trusted_issuer(software_statement_issuer, software_statement_jwks_file),
        remove_software_statement_issuer)
    if (name is None and refresh_token_idle_ttl is None
            and refresh_token_absolute_ttl is None and sign_in.is_empty()
            and sessions.is_empty() and accounts.is_empty() and brand.is_empty()
            and dcr_change.is_empty()):
        raise click.UsageError("nothing to update; give at least one option "
                               "(authserver tenant update --help lists them)")
    view = _view(tenant_admin.update_tenant(admin(), slug, name, refresh_token_idle_ttl,
                                            refresh_token_absolute_ttl, sign_in, sessions,
                                            accounts, brand, dcr_change))
    emit(as_json, view, lambda: click.echo(f"updated tenant {slug}"))


def _trusted_issuer(issuer: str | None, jwks_file: str | None) -> tuple[str, Any] | None:
    """(issuer, its JWKS as read from the file), or None when neither option is given."""
    if issuer is None and jwks_file is None:
        return None
    if issuer is None or jwks_file is None:
        raise click.UsageError("--software-statement-issuer and --software-statement-jwks-file "
                               "go together")
    try:
        with open(jwks_file, encoding="utf-8") as handle:
            jwks = json.loads(handle.read(256 * 1024))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read a JSON JWKS from {jwks_file}: {exc}",
                                 param_hint="--software-statement-jwks-file") from None
    return issuer, jwks


def _logo_file(path: str | None) -> bytes | None:
    """The bytes of ``--brand-logo-file`` (b"" for ""), read no further than the cap so
    a huge file is refused without loading it."""
    if path is None or path == "":
        return None if path is None else b""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}",
                                 param_hint="--brand-logo-file") from None
    if not data:
        raise click.BadParameter(f"{path} is empty", param_hint="--brand-logo-file")
    return data


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
