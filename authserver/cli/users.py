"""``authserver user``: create, invite, list, show, update, set-password, disable, enable."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import click

from authserver.cli.common import (
    admin,
    cli,
    echo_fields,
    emit,
    json_option,
    runtime,
    tenant_option,
)
from authserver.services import invitation_admin, user_admin, user_lifecycle
from authserver.services.accounts import NewUser, UserChanges
from authserver.services.errors import InvalidInput
from authserver.services.user_attributes import AttributeEdit, parse_assignment
from authserver.services.user_lifecycle import UserQuery, UserStatus


@cli.group()
def user() -> None:
    """People who sign in."""


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise InvalidInput("password", "nothing was read from standard input")
    return password


@user.command("create")
@tenant_option
@click.option("--email", required=True)
@click.option("--username")
@click.option("--given-name")
@click.option("--family-name")
@click.option("--email-verified", is_flag=True, help="Mark the email address as verified.")
@click.option("--phone", help="Phone number in international form (+15551234567); "
              "unverified unless --phone-verified.")
@click.option("--phone-verified", is_flag=True,
              help="Mark the phone number as verified (it can then receive sign-in codes).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line).")
@click.option("--invite", is_flag=True,
              help="Email the person a link (7 days, single use) to choose their first "
              "password; they cannot sign in until they do.")
@json_option
def user_create(tenant_slug: str, email: str, username: str | None, given_name: str | None,
                family_name: str | None, email_verified: bool, phone: str | None,
                phone_verified: bool, password_stdin: bool, invite: bool,
                as_json: bool) -> None:
    """Create a user; the password is read from stdin so it never appears in `ps`."""
    if phone_verified and phone is None:
        raise click.UsageError("--phone-verified needs --phone")
    if invite and (password_stdin or email_verified):
        raise click.UsageError("--invite: the invited person chooses the password and "
                               "proves the address; leave out --password-stdin and "
                               "--email-verified")
    new = NewUser(email=email, password=None, username=username, given_name=given_name,
                  family_name=family_name, email_verified=email_verified, phone=phone,
                  phone_verified=phone_verified)
    if invite:
        _emit_invited(as_json, tenant_slug, invitation_admin.create_invited(
            admin(), tenant_slug, new, _mail(tenant_slug)))
        return
    password = _read_password() if password_stdin else None
    created = user_admin.create_user(admin(), tenant_slug,
                                     dataclasses.replace(new, password=password))
    out = {"sub": created.sub, "email": created.email, "password_set": password is not None}

    def human() -> None:
        click.echo(f"created user {out['email']} (sub {out['sub']})")
        if not out["password_set"]:
            click.echo(f"no password: {out['email']} cannot sign in until an operator runs "
                       f"`authserver user set-password --tenant {tenant_slug} "
                       f"--email {out['email']}` (or `authserver user invite`)")

    emit(as_json, out, human)


def _mail(tenant_slug: str) -> invitation_admin.InvitationMail:
    rt = runtime()
    return invitation_admin.InvitationMail(rt.senders, rt.issuer(tenant_slug))


def _emit_invited(as_json: bool, tenant_slug: str, invited: invitation_admin.Invited) -> None:
    out = {"sub": invited.sub, "email": invited.email, "password_set": False,
           "invitation": {"sent": invited.delivered,
                          "expires_at": invited.expires_at.isoformat(),
                          "problem": invited.problem}}

    def human() -> None:
        if invited.delivered:
            click.echo(f"invited {invited.email} (sub {invited.sub}): the link works until "
                       f"{invited.expires_at.isoformat(timespec='minutes')}")
        else:
            click.echo(f"user {invited.email} (sub {invited.sub}) awaits an invitation")

    emit(as_json, out, human)
    if not invited.delivered:
        click.echo(f"authserver: the invitation mail was not delivered ({invited.problem}); "
                   f"send a new one with `authserver user invite --tenant {tenant_slug} "
                   f"--email {invited.email}`", err=True)
        raise SystemExit(1)


def _user_identity(command: Any) -> Any:
    command = click.option("--sub", help="The user's sub (instead of --email).")(command)
    return click.option("--email", help="The user's email address.")(command)


def _one_identity(email: str | None, sub: str | None) -> None:
    if (email is None) == (sub is None):
        raise click.UsageError("name the user with --email or --sub (exactly one)")


@user.command("invite")
@tenant_option
@_user_identity
@json_option
def user_invite(tenant_slug: str, email: str | None, sub: str | None, as_json: bool) -> None:
    """Email a user without a password a fresh invitation link; earlier links stop
    working."""
    _one_identity(email, sub)
    _emit_invited(as_json, tenant_slug, invitation_admin.reinvite(
        admin(), tenant_slug, email, sub, _mail(tenant_slug)))


@user.command("list")
@tenant_option
@click.option("--search", help="Only users whose email address, given or family name "
              "contains this text (case-insensitive).")
@click.option("--status", type=click.Choice([s.value for s in UserStatus]),
              help="Only active, disabled or invited (not yet accepted) users.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True,
              help="At most this many users, oldest first.")
@click.option("--after", "after", metavar="SUB",
              help="Start after this user (the last sub of the previous page).")
@json_option
def user_list(tenant_slug: str, search: str | None, status: str | None, limit: int,
              after: str | None, as_json: bool) -> None:
    """List a tenant's users, oldest first (never their password hashes)."""
    ctx = admin()
    after_id = user_lifecycle.after_sub(ctx, tenant_slug, after) if after else 0
    query = UserQuery(limit=limit, after_id=after_id, q=search,
                      status=UserStatus(status) if status else None)
    views = [u.view for u in user_lifecycle.find_users(ctx, tenant_slug, query)]
    emit(as_json, views, lambda: [click.echo(
        f"{v['sub']}\t{v['email']}" + ("\tdisabled" if v["disabled"] else "")) for v in views])


@user.command("show")
@tenant_option
@_user_identity
@json_option
def user_show(tenant_slug: str, email: str | None, sub: str | None, as_json: bool) -> None:
    """Show a user's profile and state."""
    ctx = admin()
    _one_identity(email, sub)
    view = user_admin.show_user(ctx, tenant_slug, email, sub)
    emit(as_json, view, lambda: echo_fields(view))


def _changes(new_email: str | None, values: dict[str, str | None], cleared: dict[str, bool],
             email_verified: bool | None, phone_verified: bool | None = None,
             single_session: str | None = None,
             attributes: AttributeEdit | None = None) -> UserChanges:
    for name, flag in cleared.items():
        if flag and values[name] is not None:
            option = name.replace("_", "-")
            raise click.UsageError(f"--{option} and --no-{option} contradict each other")
    clear = {name for name, flag in cleared.items() if flag}
    if single_session == "default":
        clear.add("single_session")
    changes = UserChanges(email=new_email, email_verified=email_verified,
                          phone_verified=phone_verified,
                          single_session={"on": True, "off": False}.get(single_session or ""),
                          clear=frozenset(clear), attributes=attributes, **values)
    if changes.is_empty:
        raise click.UsageError("nothing to update; give at least one of --new-email, "
                               "--username, --given-name, --family-name, --phone, "
                               "--email-verified, --phone-verified, --single-session, "
                               "--attribute "
                               "(or a --no-… / "
                               "--email-unverified / --phone-unverified)")
    return changes


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
@click.option("--phone", help="Set the phone number (international form, +15551234567; "
              "it becomes unverified unless --phone-verified is given too).")
@click.option("--no-phone", is_flag=True, help="Remove the phone number.")
@click.option("--phone-verified/--phone-unverified", default=None,
              help="Mark the phone number verified or not.")
@click.option("--single-session", type=click.Choice(["on", "off", "default"]),
              help="Single active session for this user: on (a new sign-in ends their "
              "other sessions), off, or default (the tenant's --single-session).")
@click.option("--attribute", "attributes", multiple=True, metavar="KEY=VALUE",
              help="Set an attribute (repeatable); a value that is a JSON array of strings "
              "is a list: regions='[\"eu\",\"us\"]'.")
@click.option("--remove-attribute", "removed_attributes", multiple=True, metavar="KEY",
              help="Remove an attribute (repeatable).")
@json_option
def user_update(tenant_slug: str, email: str | None, sub: str | None, new_email: str | None,
                username: str | None, no_username: bool, given_name: str | None,
                no_given_name: bool, family_name: str | None, no_family_name: bool,
                email_verified: bool | None, phone: str | None, no_phone: bool,
                phone_verified: bool | None, single_session: str | None,
                attributes: tuple[str, ...], removed_attributes: tuple[str, ...],
                as_json: bool) -> None:
    """Change a user's email, username, names, phone, their verification, their
    single-session setting, or their attributes."""
    edit = AttributeEdit(dict(parse_assignment(a) for a in attributes),
                         removed_attributes) if attributes or removed_attributes else None
    changes = _changes(
        new_email, {"username": username, "given_name": given_name,
                    "family_name": family_name, "phone": phone},
        {"username": no_username, "given_name": no_given_name,
         "family_name": no_family_name, "phone": no_phone}, email_verified, phone_verified,
        single_session, edit)
    ctx = admin()
    _one_identity(email, sub)
    updated = user_admin.update_user(ctx, tenant_slug, email, sub, changes)
    changed = updated.changed
    view = {**updated.view, "changed": changed}
    emit(as_json, view, lambda: click.echo(
        f"updated user {view['email']}: {', '.join(changed)}" if changed
        else f"user {view['email']} already had these values; nothing changed"))


@user.command("set-password")
@tenant_option
@_user_identity
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (the only "
              "way it is read: never from the command line; the flag says so explicitly).")
def user_set_password(tenant_slug: str, email: str | None, sub: str | None,
                      password_stdin: bool) -> None:
    """Set a user's password from the first line of standard input (argon2id), under the
    tenant's password policy (length, strength, history); a refusal says why, with codes."""
    _one_identity(email, sub)  # before reading a secret that would then be thrown away
    password = _read_password()
    who = user_admin.set_password(admin(), tenant_slug, email, sub, password)
    click.echo(f"password set for {who}")


@user.command("disable")
@tenant_option
@_user_identity
def user_disable(tenant_slug: str, email: str | None, sub: str | None) -> None:
    """Stop a user signing in; ends their sessions and revokes their grants and tokens."""
    _one_identity(email, sub)
    click.echo(f"disabled {user_admin.set_disabled(admin(), tenant_slug, email, True, sub)}")


@user.command("enable")
@tenant_option
@_user_identity
def user_enable(tenant_slug: str, email: str | None, sub: str | None) -> None:
    """Let a disabled user sign in again (nothing issued before the disable revives)."""
    _one_identity(email, sub)
    click.echo(f"enabled {user_admin.set_disabled(admin(), tenant_slug, email, False, sub)}")
