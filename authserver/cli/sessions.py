"""``authserver session``: list and end people's sign-in sessions (issue 10 item 5).

Ending one is recorded in the audit trail (reason ``admin``, actor ``cli``) and told to
the relying parties by back-channel logout, like any other end. No output ever shows a
session's token or its digest.
"""

from __future__ import annotations

from typing import Any

import click

from authserver.cli.common import admin, cli, emit, json_option, tenant_option
from authserver.services import session_admin


@cli.group("session")
def session_group() -> None:
    """People's sign-in sessions."""


def _identity(command: Any) -> Any:
    command = click.option("--sub", help="The user's sub (instead of --email).")(command)
    return click.option("--email", help="The user's email address.")(command)


@session_group.command("list")
@tenant_option
@_identity
@json_option
def session_list(tenant_slug: str, email: str | None, sub: str | None,
                 as_json: bool) -> None:
    """List live sessions, most recently seen first: every user's, or one user's."""
    if email is not None and sub is not None:
        raise click.UsageError("name the user with --email or --sub, not both")
    views = session_admin.list_sessions(admin(), tenant_slug, email, sub)

    def human() -> None:
        if not views:
            click.echo("no live sessions")
        for v in views:
            click.echo(f"{v['sid']}\t{v['email']}\t{v['device']}\t{v['ip'] or '-'}\t"
                       f"signed in {v['signed_in_at']}\tlast seen {v['last_seen_at']}")

    emit(as_json, views, human)


@session_group.command("end")
@tenant_option
@click.option("--sid", help="The session to end (its sid, from `session list`).")
@_identity
@click.option("--all", "every", is_flag=True,
              help="With --email/--sub: end every session of the user.")
@json_option
def session_end(tenant_slug: str, sid: str | None, email: str | None, sub: str | None,
                every: bool, as_json: bool) -> None:
    """End one session (--sid), or a user's (--email/--sub; --all when they have more
    than one)."""
    named = [name for name, value in (("--sid", sid), ("--email", email), ("--sub", sub))
             if value is not None]
    if len(named) != 1:
        raise click.UsageError("name the session with --sid, or the user with --email or "
                               "--sub (exactly one)")
    if sid is not None and every:
        raise click.UsageError("--all goes with --email or --sub, not --sid")
    if sid is not None:
        ended = session_admin.end_session(admin(), tenant_slug, sid)
    else:
        ended = session_admin.end_user_sessions(admin(), tenant_slug, email, sub, every)
    out = {"email": ended.email, "ended": ended.sids}
    emit(as_json, out, lambda: click.echo(
        f"ended {len(ended.sids)} session{'' if len(ended.sids) == 1 else 's'} of "
        f"{ended.email}" if ended.sids else f"{ended.email} had no open session"))
