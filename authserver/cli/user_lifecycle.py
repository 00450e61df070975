"""``authserver user import|delete|reset-factors``: the bulk and the ending operations on
users (services/user_import.py, services/user_lifecycle.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from authserver.cli.common import admin, emit, json_option, runtime, tenant_option
from authserver.cli.users import user
from authserver.runtime.import_wiring import import_setup
from authserver.services import user_import, user_lifecycle
from authserver.services.user_import_csv import MAX_BYTES, FileRefused


def _read(path: Path) -> bytes:
    # One byte past the limit is enough to refuse the file without reading all of it.
    with path.open("rb") as file:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileRefused(f"{path} is larger than {MAX_BYTES} bytes; split it into "
                          "several files")
    return data


@user.command("import")
@tenant_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Check every row and print the report; import nothing.")
@json_option
def user_import_command(tenant_slug: str, file: Path, dry_run: bool, as_json: bool) -> None:
    """Import users from a CSV file (header: email, given_name, family_name, phone,
    roles; roles separated by ';') and invite each one. Good rows are imported, bad
    rows reported (line, column, reason); exit 1 when any row was rejected."""
    report = user_import.import_users(admin(), tenant_slug, _read(file),
                                      import_setup(runtime(), tenant_slug), dry_run)
    out = report.as_dict()
    emit(as_json, out, lambda: _human(out))
    if report.rejected:
        raise SystemExit(1)


def _human(out: dict[str, Any]) -> None:
    verb = "would import" if out["dry_run"] else "imported"
    click.echo(f"{verb} {out['imported_count']} of {out['rows']} rows; "
               f"{out['rejected_count']} rejected")
    for row in out["imported"]:
        note = "" if row["invitation"] == "queued" else \
            " (no email sender: invitation not sent; `authserver user invite` later)"
        click.echo(f"line {row['row']}: {row['email']} (sub {row['sub']}){note}")
    for row in out["rejected"]:
        click.echo(f"line {row['row']}: rejected, {row['column']}: {row['reason']}")


def _identity(email: str | None, sub: str | None) -> None:
    if (email is None) == (sub is None):
        raise click.UsageError("name the user by EMAIL or --sub (exactly one)")


def _emit_removed(as_json: bool, said: str, sub: str, email: str,
                  removed: dict[str, int]) -> None:
    out = {"sub": sub, "email": email, "removed": removed}
    emit(as_json, out, lambda: click.echo(
        f"{said}: " + ", ".join(f"{k}={v}" for k, v in removed.items())))


@user.command("delete")
@tenant_option
@click.argument("email", required=False)
@click.option("--sub", help="The user's sub (instead of EMAIL).")
@json_option
def user_delete(tenant_slug: str, email: str | None, sub: str | None, as_json: bool) -> None:
    """Delete a user and everything of theirs: sessions (ended, relying parties told),
    refresh tokens and grants, consents, factors. Audit records stay."""
    _identity(email, sub)
    deleted = user_lifecycle.delete_user(admin(), tenant_slug, email, sub)
    _emit_removed(as_json, f"deleted user {deleted.email} (sub {deleted.sub})", deleted.sub,
                  deleted.email, deleted.removed)


@user.command("reset-factors")
@tenant_option
@click.argument("email", required=False)
@click.option("--sub", help="The user's sub (instead of EMAIL).")
@json_option
def user_reset_factors(tenant_slug: str, email: str | None, sub: str | None,
                       as_json: bool) -> None:
    """A lost device: remove the user's authenticator app, passkeys and recovery codes,
    unverify their phone, and end their sessions and grants. The password stays; the
    person enrols again at the next sign-in if the tenant requires a second factor."""
    _identity(email, sub)
    reset = user_lifecycle.reset_factors(admin(), tenant_slug, email, sub)
    _emit_removed(as_json, f"reset the sign-in factors of {reset.email}", reset.sub,
                  reset.email, reset.removed)
